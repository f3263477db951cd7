/* capture.c - opening captures: pcap by our own fast path or libpcap, pcapng through pcapng.c; link-type names. */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "input.h"
#include "pcapng.h"
#include "util.h"

#define CAP_IOBUF (1u << 20) /* stdio buffer: captures are read sequentially */
#define CAP_ERR_MAX 512
/* The pcap fast path's buffer: a 256 KiB record (and its header) always
 * fits, and the whole buffer stays in the core's L2 cache (2 MiB here), so
 * the record headers the parser reads right after read() filled them are
 * cache hits; the 4 MiB it was showed as misses on every record (issue 13). */
#define FAST_BUF (512u << 10)
#define PCAP_MAX_CAPLEN 262144u /* libpcap's MAXIMUM_SNAPLEN: larger records are damage */

#define CAP_BPF_MAX 16 /* distinct link types one file may filter */

enum cap_fmt { FMT_PCAP, FMT_PCAPNG };

/* Read-ahead (cap_set_readahead, -j): a thread of its own calls read(2)
 * into a ring of chunks, and the parser takes records straight out of
 * them; only a record that straddles two chunks is copied, into a buffer
 * of its own.  The kernel's copy, a third of reading a page-cached file,
 * leaves the thread that decodes. */
#define RA_CHUNK (512u << 10)
#define RA_N 4
struct ra_chunk {
	uint8_t *p;
	size_t len;
	int err;  /* errno of the read that ended this chunk, 0 none */
	bool eof; /* the file ends after this chunk */
};
struct readahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	struct ra_chunk ch[RA_N];
	unsigned filled;   /* chunks filled so far (the reader's count) */
	unsigned taken;    /* chunks handed to the parser */
	unsigned released; /* chunks the parser is done with */
	bool stop, done;
	/* the parser's side */
	bool have_cur;     /* chunk (taken - 1) % RA_N is in hand */
	size_t coff;       /* straddle mode: where the chunk in hand goes on */
	bool straddle;     /* buf is sbuf: a record across two chunks */
	uint8_t *sbuf;     /* 16 + PCAP_MAX_CAPLEN bytes */
};

struct cap_file {
	char *path;
	enum cap_fmt fmt;
	FILE *fp;                /* pcap: owned by pc once pcap_fopen succeeded */
	struct in_stream *in;    /* the decompressing / pipe stream under fp (input.h); NULL
	                            for a plain regular file; freed when fp is closed */
	char *iobuf;             /* setvbuf buffer; freed after fp is closed */
	pcap_t *pc;
	struct png_reader *png;
	struct cap_iface pcap_if; /* the single interface of a pcap file */
	uint64_t size;
	uint64_t frames;
	uint64_t snapped;
	uint64_t over_snaplen;
	uint64_t pos;            /* pcap: byte offset of the next record */
	/* pcap fast path (fast_pcap()): records parsed straight out of a
	 * large buffer filled by fread, one copy instead of libpcap's two */
	bool fast;
	bool usec;               /* microsecond timestamps (else nanoseconds) */
	uint32_t snapshot;       /* snaplen as libpcap adjusts it */
	uint8_t *buf;
	size_t blen, bpos;       /* valid bytes in buf, parse position */
	bool beof;
	int rfd;                 /* fast path on a seekable file: read(2) on it, stdio left behind; else -1 */
	int rerr;                /* fast path: errno of a failed refill, 0 none (checked once per refill) */
	struct readahead *ra;    /* fast path with read-ahead (cap_set_readahead), else NULL */
	bool failed;
	bool trust_partial;      /* cap_trust_partial(): honour a partial's claims */
	/* -f: the filter, compiled once per link type met (pcapng interfaces
	 * may differ); records it rejects are skipped and counted */
	struct cap_bpf {
		int linktype;
		struct bpf_program prog;
	} bpf[CAP_BPF_MAX];
	size_t nbpf;
	uint64_t filtered;
	char err[CAP_ERR_MAX];
};

/* Names of link types (https://www.tcpdump.org/linktypes.html), LINKTYPE_
 * values as they appear in files, for reports and errors; which of them
 * can be read is decode.c's list (decode_linktype_supported).  Ends with a
 * sentinel. */
static const struct {
	int lt;
	const char *name;
} linktypes[] = {
	{0, "NULL"},
	{1, "EN10MB"},
	{6, "IEEE802_5"},
	{8, "SLIP"},
	{9, "PPP"},
	{10, "FDDI"},
	{12, "RAW"}, /* DLT_RAW on most systems; files should say 101 */
	{50, "PPP_HDLC"},
	{51, "PPP_ETHER"},
	{100, "ATM_RFC1483"},
	{101, "RAW"},
	{104, "C_HDLC"},
	{105, "IEEE802_11"},
	{107, "FRELAY"},
	{108, "LOOP"},
	{113, "LINUX_SLL"},
	{119, "IEEE802_11_PRISM"},
	{127, "IEEE802_11_RADIOTAP"},
	{143, "DOCSIS"},
	{147, "USER0"},
	{163, "IEEE802_11_AVS"},
	{187, "BLUETOOTH_HCI_H4"},
	{189, "USB_LINUX"},
	{192, "PPI"},
	{195, "IEEE802_15_4"},
	{201, "BLUETOOTH_HCI_H4_WITH_PHDR"},
	{204, "PPP_WITH_DIR"},
	{220, "USB_LINUX_MMAPPED"},
	{227, "CAN_SOCKETCAN"},
	{228, "IPV4"},
	{229, "IPV6"},
	{239, "NFLOG"},
	{240, "NETANALYZER"},
	{249, "USBPCAP"},
	{253, "NETLINK"},
	{258, "PKTAP"},
	{276, "LINUX_SLL2"},
	{-1, NULL},
};

const char *cap_linktype_name(int linktype)
{
	for (size_t i = 0; linktypes[i].name; i++)
		if (linktypes[i].lt == linktype)
			return linktypes[i].name;
	return "unknown";
}

int cap_linktype_supported(int linktype)
{
	return decode_linktype_supported(linktype);
}

static bool fast_pcap_on = true;

void cap_set_fast_pcap(bool on)
{
	fast_pcap_on = on;
}

static void set_err(struct cap_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_err(struct cap_file *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
}

static uint32_t le32(const uint8_t *p)
{
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * pcap file header (draft-ietf-opsawg-pcap section 4): magic, version,
 * reserved x2, snaplen, linktype.  We read it ourselves, before libpcap, to
 * give clear errors and to get the LINKTYPE_ value as written (libpcap maps
 * it to a DLT_ value, which differs for RAW) with the FCS bits masked off.
 */
static int open_pcap(struct cap_file *f, const uint8_t *hdr, size_t got, bool swapped)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	if (got < 24) {
		set_err(f, "%s: truncated pcap file header (%zu of 24 bytes)", f->path, got);
		return -1;
	}
	uint32_t snaplen = swapped ? be32(hdr + 16) : le32(hdr + 16);
	uint32_t lt = swapped ? be32(hdr + 20) : le32(hdr + 20);
	lt &= 0x03FFFFFFu; /* LINKTYPE_LINK_TYPE_MASK: upper bits describe FCS */
	if (!cap_linktype_supported((int)lt)) {
		set_err(f, "%s: link type %u (%s) is not supported", f->path, lt,
			cap_linktype_name((int)lt));
		return -1;
	}
	f->pcap_if.linktype = (int)lt;
	f->pcap_if.snaplen = snaplen;
	uint32_t magic = le32(hdr);
	uint16_t vmaj = (uint16_t)(hdr[4] | hdr[5] << 8), vmin = (uint16_t)(hdr[6] | hdr[7] << 8);
	if (fast_pcap_on && !swapped && (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) && vmaj == 2 && vmin == 4 &&
	    *(const uint8_t *)&(uint16_t){1} == 1) {
		/* the common case, in this machine's byte order: read it
		 * ourselves (fast_pcap); anything else goes to libpcap */
		f->fast = true;
		f->usec = magic == 0xa1b2c3d4;
		/* pcap_adjust_snapshot() of libpcap 1.10: only 0 and values
		 * over INT_MAX are replaced */
		f->snapshot = snaplen == 0 || snaplen > INT32_MAX ? PCAP_MAX_CAPLEN : snaplen;
		f->buf = xmalloc(FAST_BUF);
		f->pos = 24;
		/* a file that can seek is read with read(2) from byte 24 on,
		 * straight into buf (no stdio copy); a pipe goes on through
		 * stdio, which holds what it read ahead */
		f->rfd = -1;
		int fd = fileno(f->fp);
		if (fd >= 0 && lseek(fd, 24, SEEK_SET) == 24)
			f->rfd = fd;
		return 0;
	}
	if (fseeko(f->fp, 0, SEEK_SET) != 0) {
		set_err(f, "%s: cannot seek: %s", f->path, strerror(errno));
		return -1;
	}
	/* Ask for nanoseconds whatever the file holds, so ts is always ns. */
	f->pc = pcap_fopen_offline_with_tstamp_precision(f->fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!f->pc) {
		set_err(f, "%s: %s", f->path, errbuf);
		return -1;
	}
	f->pos = 24; /* after the file header */
	return 0;
}

/* ---------------------------------------------------------------------- */
/* -f: a BPF filter (libpcap's compiler and offline filter) */

static char *filter_expr;
/* libpcap 1.10's pcap_compile is reentrant, but older ones kept the parser
 * in globals; -j threads open files at the same time. */
static pthread_mutex_t filter_lock = PTHREAD_MUTEX_INITIALIZER;

void cap_set_filter(const char *expr)
{
	free(filter_expr);
	filter_expr = expr && *expr ? xstrdup(expr) : NULL;
}

const char *cap_filter(void)
{
	return filter_expr;
}

/* LINKTYPE_ as in files to the DLT_ value pcap_compile knows. */
static int dlt_of(int linktype)
{
	return linktype == 101 ? DLT_RAW : linktype;
}

static int filter_compile(int linktype, struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *dead = pcap_open_dead(dlt_of(linktype), PCAP_MAX_CAPLEN);
	if (!dead) {
		snprintf(err, errlen, "cannot set up the filter compiler");
		return -1;
	}
	pthread_mutex_lock(&filter_lock);
	int rc = pcap_compile(dead, prog, filter_expr, 1, PCAP_NETMASK_UNKNOWN);
	if (rc < 0)
		snprintf(err, errlen, "filter '%s' for link type %s: %s", filter_expr, cap_linktype_name(linktype),
			 pcap_geterr(dead));
	pthread_mutex_unlock(&filter_lock);
	pcap_close(dead);
	return rc < 0 ? -1 : 0;
}

int cap_filter_check(int linktype, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (filter_compile(linktype, &prog, err, errlen) < 0)
		return -1;
	pcap_freecode(&prog);
	return 0;
}

/* Whether the filter keeps pkt: 1 yes, 0 no, -1 it cannot be compiled for
 * the record's link type (message in f->err). */
static int filter_keeps(struct cap_file *f, const struct cap_packet *pkt)
{
	struct cap_bpf *b = NULL;
	for (size_t i = 0; i < f->nbpf; i++)
		if (f->bpf[i].linktype == pkt->linktype)
			b = &f->bpf[i];
	if (!b) {
		char msg[CAP_ERR_MAX - 64];
		if (f->nbpf == CAP_BPF_MAX) {
			set_err(f, "%s: more than %d link types to filter", f->path, CAP_BPF_MAX);
			return -1;
		}
		b = &f->bpf[f->nbpf];
		if (filter_compile(pkt->linktype, &b->prog, msg, sizeof(msg)) < 0) {
			set_err(f, "%s: packet %llu: %s", f->path, (unsigned long long)pkt->frame, msg);
			return -1;
		}
		b->linktype = pkt->linktype;
		f->nbpf++;
	}
	struct pcap_pkthdr h = {.caplen = pkt->caplen, .len = pkt->wirelen};
	return pcap_offline_filter(&b->prog, &h, pkt->data) != 0;
}

void cap_lib_versions(char *buf, size_t len)
{
	char dec[160];
	in_lib_versions(dec, sizeof(dec));
	snprintf(buf, len, "%s; %s", pcap_lib_version(), dec);
}

uint64_t cap_filtered(const struct cap_file *f)
{
	return f->filtered;
}

int cap_open(const char *path, struct cap_file **out, char *err, size_t errlen)
{
	struct cap_file *f = xcalloc(1, sizeof(*f));
	uint8_t hdr[24];
	size_t got;

	*out = NULL;
	f->path = xstrdup(path);
	f->fp = in_open(path, &f->in, &f->size, f->err, sizeof(f->err));
	if (!f->fp)
		goto bad;
	f->iobuf = xmalloc(CAP_IOBUF);
	setvbuf(f->fp, f->iobuf, _IOFBF, CAP_IOBUF); /* before any other I/O on fp */
	got = fread(hdr, 1, sizeof(hdr), f->fp);
	if (ferror(f->fp)) {
		set_err(f, "%s: read error: %s", path, strerror(errno));
		goto bad;
	}
	if (in_damage(f->in) && got < 4) {
		set_err(f, "%s: %s, before the capture's file header", path, in_damage(f->in));
		goto bad;
	}
	if (got == 0) {
		set_err(f, "%s: empty %s(0 bytes), not a capture", path,
			in_compression(f->in) ? "after decompression " : "file ");
		goto bad;
	}
	if (got < 4) {
		set_err(f, "%s: truncated file header (%zu bytes), not a capture", path, got);
		goto bad;
	}
	uint32_t magic = le32(hdr);
	switch (magic) {
	case 0xa1b2c3d4: /* micro, little-endian file */
	case 0xa1b23c4d: /* nano */
	case 0xa1b2cd34: /* Kuznetzov's modified format; libpcap reads it */
		f->fmt = FMT_PCAP;
		if (open_pcap(f, hdr, got, false) < 0)
			goto bad;
		break;
	case 0xd4c3b2a1:
	case 0x4d3cb2a1:
	case 0x34cdb2a1:
		f->fmt = FMT_PCAP;
		if (open_pcap(f, hdr, got, true) < 0)
			goto bad;
		break;
	case 0x0a0d0d0a:
		f->fmt = FMT_PCAPNG;
		if (fseeko(f->fp, 0, SEEK_SET) != 0) {
			set_err(f, "%s: cannot seek: %s", path, strerror(errno));
			goto bad;
		}
		f->png = png_open(f->fp, f->path, f->err, sizeof(f->err));
		if (!f->png)
			goto bad;
		break;
	default:
		set_err(f, "%s: not a pcap or pcapng file%s (magic %02x %02x %02x %02x)", path,
			in_compression(f->in) ? " once decompressed" : "", hdr[0], hdr[1], hdr[2], hdr[3]);
		goto bad;
	}
	if (filter_expr && f->fmt == FMT_PCAP) {
		/* one link type, known now: a filter that cannot apply to it
		 * makes the file unusable, not damaged */
		char msg[CAP_ERR_MAX - 64];
		if (filter_compile(f->pcap_if.linktype, &f->bpf[0].prog, msg, sizeof(msg)) < 0) {
			set_err(f, "%s: %s", path, msg);
			goto bad;
		}
		f->bpf[0].linktype = f->pcap_if.linktype;
		f->nbpf = 1;
	}
	*out = f;
	return 0;
bad:
	snprintf(err, errlen, "%s", f->err);
	cap_close(f);
	return -1;
}

/* Makes at least n bytes available at f->buf + f->bpos, short only at the
 * end of the file; returns how many are. */
static void *ra_main(void *arg)
{
	struct readahead *ra = arg;
	for (;;) {
		pthread_mutex_lock(&ra->mu);
		while (!ra->stop && ra->filled - ra->released >= RA_N)
			pthread_cond_wait(&ra->cv, &ra->mu);
		bool stop = ra->stop;
		struct ra_chunk *c = &ra->ch[ra->filled % RA_N];
		pthread_mutex_unlock(&ra->mu);
		if (stop)
			break;
		c->len = 0;
		c->err = 0;
		c->eof = false;
		while (c->len < RA_CHUNK) {
			ssize_t r = read(ra->fd, c->p + c->len, RA_CHUNK - c->len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r < 0)
					c->err = errno ? errno : EIO;
				c->eof = true;
				break;
			}
			c->len += (size_t)r;
		}
		pthread_mutex_lock(&ra->mu);
		ra->filled++;
		bool last = c->eof;
		ra->done = last;
		pthread_cond_broadcast(&ra->cv);
		pthread_mutex_unlock(&ra->mu);
		if (last)
			break;
	}
	return NULL;
}

/* The parser takes the next chunk (waiting for it); false when the file
 * has ended (the chunk in hand was the last). */
static bool ra_take(struct cap_file *f, struct ra_chunk **out)
{
	struct readahead *ra = f->ra;
	pthread_mutex_lock(&ra->mu);
	if (ra->have_cur) { /* done with the one in hand */
		ra->released++;
		ra->have_cur = false;
		pthread_cond_broadcast(&ra->cv);
	}
	while (ra->taken == ra->filled && !ra->done)
		pthread_cond_wait(&ra->cv, &ra->mu);
	bool got = ra->taken < ra->filled;
	if (got) {
		*out = &ra->ch[ra->taken % RA_N];
		ra->taken++;
		ra->have_cur = true;
	}
	pthread_mutex_unlock(&ra->mu);
	return got;
}

static struct ra_chunk *ra_cur(struct cap_file *f)
{
	return &f->ra->ch[(f->ra->taken - 1) % RA_N];
}

/* fast_fill over read-ahead chunks: the same contract. */
static size_t ra_fill(struct cap_file *f, size_t n)
{
	struct readahead *ra = f->ra;
	if (ra->straddle && f->bpos == f->blen) {
		/* the straddling record is consumed: on in the chunk */
		struct ra_chunk *c = ra_cur(f);
		ra->straddle = false;
		f->buf = c->p;
		f->bpos = ra->coff;
		f->blen = c->len;
	}
	size_t have = f->blen - f->bpos;
	if (have >= n || f->beof)
		return have;
	if (!ra->straddle) {
		struct ra_chunk *c = NULL;
		if (have == 0) {
			while (f->blen - f->bpos == 0) {
				if (ra->have_cur && ra_cur(f)->eof) {
					f->beof = true;
					return 0;
				}
				if (!ra_take(f, &c)) {
					f->beof = true;
					return 0;
				}
				if (c->err)
					f->rerr = c->err;
				f->buf = c->p;
				f->bpos = 0;
				f->blen = c->len;
			}
			have = f->blen;
			if (have >= n)
				return have;
		}
		/* a record across the chunk's end: its bytes so far to sbuf */
		memcpy(ra->sbuf, f->buf + f->bpos, have);
		bool last = ra->have_cur && ra_cur(f)->eof;
		f->buf = ra->sbuf;
		f->bpos = 0;
		f->blen = have;
		ra->straddle = true;
		ra->coff = 0;
		if (last || !ra_take(f, &c)) {
			f->beof = true;
			ra->coff = 0;
			return have;
		}
		if (c->err)
			f->rerr = c->err;
	}
	/* straddle: more of the record from the chunk(s) in hand */
	while (f->blen < n && !f->beof) {
		struct ra_chunk *c = ra_cur(f);
		size_t k = c->len - ra->coff;
		if (k > n - f->blen)
			k = n - f->blen;
		memcpy(ra->sbuf + f->blen, c->p + ra->coff, k);
		f->blen += k;
		ra->coff += k;
		if (f->blen < n) { /* this chunk is used up */
			if (c->eof || !ra_take(f, &c)) {
				f->beof = true;
				break;
			}
			ra->coff = 0;
			if (c->err)
				f->rerr = c->err;
		}
	}
	return f->blen;
}

int cap_set_readahead(struct cap_file *f)
{
	if (!f->fast || f->rfd < 0 || f->ra || f->frames)
		return -1;
	struct readahead *ra = xcalloc(1, sizeof(*ra));
	ra->fd = f->rfd;
	for (unsigned i = 0; i < RA_N; i++)
		ra->ch[i].p = xmalloc(RA_CHUNK);
	ra->sbuf = xmalloc(16 + PCAP_MAX_CAPLEN);
	pthread_mutex_init(&ra->mu, NULL);
	pthread_cond_init(&ra->cv, NULL);
	if (pthread_create(&ra->th, NULL, ra_main, ra) != 0) {
		pthread_mutex_destroy(&ra->mu);
		pthread_cond_destroy(&ra->cv);
		for (unsigned i = 0; i < RA_N; i++)
			free(ra->ch[i].p);
		free(ra->sbuf);
		free(ra);
		return -1;
	}
	free(f->buf); /* the chunks are the buffer now */
	f->buf = NULL;
	f->blen = f->bpos = 0;
	f->ra = ra;
	return 0;
}

static void ra_free(struct cap_file *f)
{
	struct readahead *ra = f->ra;
	if (!ra)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->stop = true;
	pthread_cond_broadcast(&ra->cv);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	pthread_mutex_destroy(&ra->mu);
	pthread_cond_destroy(&ra->cv);
	for (unsigned i = 0; i < RA_N; i++)
		free(ra->ch[i].p);
	free(ra->sbuf);
	free(ra);
	f->ra = NULL;
	f->buf = NULL;
}

static size_t fast_fill(struct cap_file *f, size_t n)
{
	if (f->ra)
		return ra_fill(f, n);
	size_t have = f->blen - f->bpos;
	if (have >= n || f->beof)
		return have;
	memmove(f->buf, f->buf + f->bpos, have);
	f->bpos = 0;
	f->blen = have;
	while (f->blen < n && !f->beof) {
		size_t got;
		if (f->rfd >= 0) {
			ssize_t r = read(f->rfd, f->buf + f->blen, FAST_BUF - f->blen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				f->rerr = errno ? errno : EIO;
			got = r > 0 ? (size_t)r : 0;
		} else {
			got = fread(f->buf + f->blen, 1, FAST_BUF - f->blen, f->fp);
			if (got == 0 && ferror(f->fp))
				f->rerr = errno ? errno : EIO;
		}
		f->blen += got;
		if (got == 0)
			f->beof = true;
	}
	return f->blen;
}

/*
 * The pcap record reader for the common case (a version 2.4 file in this
 * machine's byte order), with libpcap 1.10's semantics and messages
 * exactly (sf-pcap.c pcap_next_packet()): seconds and the fraction are
 * signed 32-bit fields, a caplen over 256 KiB is damage, a caplen over the
 * header's snaplen is read and cut to it.  tests/test_capture.c checks it
 * against libpcap, packet by packet, on every sample and corpus capture and
 * on truncated copies of them.
 */
static int next_fast(struct cap_file *f, struct cap_packet *pkt, char *msg, size_t msglen)
{
	size_t have = fast_fill(f, 16);
	if (f->rerr) { /* set by a refill only: no stdio lock per packet */
		snprintf(msg, msglen, "error reading dump file: %s", strerror(f->rerr));
		return -1;
	}
	if (have == 0)
		return 0;
	if (have < 16) {
		snprintf(msg, msglen, "truncated dump file; tried to read 16 header bytes, only got %zu", have);
		return -1;
	}
	const uint8_t *h = f->buf + f->bpos;
	int64_t sec = (int32_t)le32(h);
	int64_t frac = (int32_t)le32(h + 4);
	uint32_t caplen = le32(h + 8), len = le32(h + 12);
	if (caplen > PCAP_MAX_CAPLEN) {
		if (caplen > f->snapshot)
			snprintf(msg, msglen, "invalid packet capture length %u, bigger than snaplen of %u", caplen,
				 f->snapshot);
		else
			snprintf(msg, msglen, "invalid packet capture length %u, bigger than maximum of %u", caplen,
				 PCAP_MAX_CAPLEN);
		return -1;
	}
	uint32_t keep = caplen > f->snapshot ? f->snapshot : caplen;
	have = fast_fill(f, 16 + (size_t)caplen) - 16;
	if (f->rerr) {
		snprintf(msg, msglen, "error reading dump file: %s", strerror(f->rerr));
		return -1;
	}
	if (have < keep) {
		snprintf(msg, msglen, "truncated dump file; tried to read %u captured bytes, only got %zu", keep, have);
		return -1;
	}
	if (have < caplen) { /* the part beyond snaplen, to be discarded, is cut */
		snprintf(msg, msglen, "truncated dump file; tried to read %u captured bytes, only got %zu", caplen, have);
		return -1;
	}
	if (caplen > keep)
		f->over_snaplen++;
	memset(pkt, 0, sizeof(*pkt));
	pkt->frame = ++f->frames;
	pkt->offset = f->pos;
	pkt->ts_sec = sec;
	pkt->ts_nsec = (uint32_t)(f->usec ? frac * 1000 : frac);
	pkt->linktype = f->pcap_if.linktype;
	pkt->caplen = keep;
	pkt->wirelen = len;
	pkt->data = f->buf + f->bpos + 16;
	f->bpos += 16 + (size_t)caplen;
	f->pos += 16 + (uint64_t)caplen;
	return 1;
}

static int next_pcap(struct cap_file *f, struct cap_packet *pkt)
{
	if (f->fast) {
		char msg[256];
		uint64_t at = f->pos;
		int rc = next_fast(f, pkt, msg, sizeof(msg));
		if (rc < 0)
			set_err(f, "%s: %s record at byte %llu (packet %llu): %s", f->path,
				strstr(msg, "truncated") ? "truncated" : "damaged", (unsigned long long)at,
				(unsigned long long)f->frames + 1, msg);
		return rc;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	/* Offsets are counted, not asked of stdio: ftello per packet showed
	 * in profiles.  Only a record that may have been cut to snaplen
	 * (caplen >= snaplen) needs the real position. */
	off_t at = (off_t)f->pos;
	int rc = pcap_next_ex(f->pc, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		/* libpcap says "truncated dump file; tried to read N ..." for a cut
		 * record and "invalid packet capture length" for a caplen over the
		 * 256 KiB limit. */
		const char *msg = pcap_geterr(f->pc);
		set_err(f, "%s: %s record at byte %lld (packet %llu): %s", f->path,
			strstr(msg, "truncated") ? "truncated" : "damaged", (long long)at,
			(unsigned long long)f->frames + 1, msg);
		return -1;
	}
	/* libpcap consumed the whole record but may have kept only snaplen
	 * bytes of it: the file offsets tell. */
	if (f->pcap_if.snaplen && h->caplen >= f->pcap_if.snaplen) {
		off_t end = ftello(f->fp);
		if (at >= 0 && end >= at && (uint64_t)(end - at) > 16 + (uint64_t)h->caplen)
			f->over_snaplen++;
		f->pos = end >= 0 ? (uint64_t)end : f->pos + 16 + h->caplen;
	} else {
		f->pos += 16 + (uint64_t)h->caplen;
	}
	memset(pkt, 0, sizeof(*pkt));
	pkt->frame = ++f->frames;
	pkt->offset = (uint64_t)at;
	pkt->ts_sec = (int64_t)h->ts.tv_sec;
	pkt->ts_nsec = (uint32_t)h->ts.tv_usec; /* nanoseconds: see pcap_fopen above */
	pkt->linktype = f->pcap_if.linktype;
	pkt->iface = 0;
	pkt->caplen = h->caplen;
	pkt->wirelen = h->len;
	pkt->data = data;
	return 1;
}

static int next_record(struct cap_file *f, struct cap_packet *pkt);

int cap_next(struct cap_file *f, struct cap_packet *pkt)
{
	for (;;) {
		int rc = next_record(f, pkt);
		if (rc != 1 || !filter_expr)
			return rc;
		int keep = filter_keeps(f, pkt);
		if (keep < 0) {
			f->failed = true;
			return -1;
		}
		if (keep)
			return 1;
		f->filtered++;
	}
}

static int next_record(struct cap_file *f, struct cap_packet *pkt)
{
	int rc;
	if (f->failed)
		return -1;
	if (f->fmt == FMT_PCAP) {
		rc = next_pcap(f, pkt);
	} else {
		rc = png_next(f->png, pkt, f->err, sizeof(f->err));
		if (rc == 1) {
			f->frames = pkt->frame;
			/* A partial of a pcap file: the packets had no interface. */
			if (cap_origin_format(f) && strcmp(cap_origin_format(f), "pcap") == 0) {
				pkt->has_iface = false;
				pkt->iface = 0;
				pkt->iface_name = NULL;
				pkt->iface_desc = NULL;
			}
		}
	}
	if (rc <= 0 && in_damage(f->in)) {
		/* The compressed stream (or the pipe) broke: that is the cause,
		 * whether the records stopped cleanly or mid-record. */
		set_err(f, "%s: %s; the %llu packet(s) before it were read", f->path, in_damage(f->in),
			(unsigned long long)f->frames);
		rc = -1;
	}
	if (rc < 0)
		f->failed = true;
	if (rc == 1 && (f->fmt == FMT_PCAP || !f->trust_partial)) {
		pkt->orig_caplen = pkt->caplen; /* only a trusted partial's records claim more */
		pkt->reduced = false;
	}
	if (rc == 1 && pkt->orig_caplen < pkt->wirelen)
		f->snapped++;
	return rc;
}

const char *cap_error(const struct cap_file *f)
{
	return f->err;
}

const char *cap_compression(const struct cap_file *f)
{
	return in_compression(f->in);
}

const char *cap_path(const struct cap_file *f)
{
	return f->path;
}

const char *cap_format(const struct cap_file *f)
{
	if (cap_origin_format(f))
		return strcmp(cap_origin_format(f), "pcap") == 0 ? "pcap" : "pcapng";
	return f->fmt == FMT_PCAPNG ? "pcapng" : "pcap";
}

void cap_trust_partial(struct cap_file *f)
{
	f->trust_partial = true;
}

bool cap_claims_partial(const struct cap_file *f)
{
	return f->fmt == FMT_PCAPNG && png_origin_path(f->png) != NULL;
}

/* Any pcapng can say it is a partial in its section comment: only merge
 * takes it at its word (cap_trust_partial). */
const char *cap_origin_path(const struct cap_file *f)
{
	return f->trust_partial && f->fmt == FMT_PCAPNG ? png_origin_path(f->png) : NULL;
}

const char *cap_origin_format(const struct cap_file *f)
{
	return f->trust_partial && f->fmt == FMT_PCAPNG ? png_origin_format(f->png) : NULL;
}

const char *cap_origin_damage(const struct cap_file *f)
{
	return f->trust_partial && f->fmt == FMT_PCAPNG ? png_origin_damage(f->png) : NULL;
}

size_t cap_iface_count(const struct cap_file *f)
{
	return f->fmt == FMT_PCAPNG ? png_iface_count(f->png) : 1;
}

const struct cap_iface *cap_iface_get(const struct cap_file *f, size_t i)
{
	if (f->fmt == FMT_PCAPNG)
		return png_iface_get(f->png, i);
	return i == 0 ? &f->pcap_if : NULL;
}

uint64_t cap_size(const struct cap_file *f)
{
	return f->size;
}

uint64_t cap_tell(const struct cap_file *f)
{
	if (f->fmt == FMT_PCAPNG)
		return png_tell(f->png);
	if (f->fast)
		return f->pos;
	off_t o = ftello(f->fp);
	return o < 0 ? 0 : (uint64_t)o;
}

uint64_t cap_snapped(const struct cap_file *f)
{
	return f->snapped;
}

uint64_t cap_over_snaplen(const struct cap_file *f)
{
	return f->over_snaplen;
}

void cap_close(struct cap_file *f)
{
	if (!f)
		return;
	png_close(f->png);
	for (size_t i = 0; i < f->nbpf; i++)
		pcap_freecode(&f->bpf[i].prog);
	if (f->pc)
		pcap_close(f->pc); /* closes fp too */
	else if (f->fp)
		fclose(f->fp);
	ra_free(f);
	free(f->iobuf);
	free(f->buf);
	free(f->path);
	free(f);
}
