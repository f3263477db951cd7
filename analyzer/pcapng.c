/* pcapng.c - bounded pcapng block reader (IETF draft-ietf-opsawg-pcapng: SHB, IDB, EPB, SPB, PB). */
#include "pcapng.h"

#include "partial.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Block types (draft-ietf-opsawg-pcapng section 10.1). */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u /* obsolete Packet Block (appendix A) */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u

/* IDB options we use (section 4.2). */
#define OPT_ENDOFOPT 0
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

struct png_iface {
	struct cap_iface pub;
	uint8_t tsresol;  /* raw if_tsresol byte; 6 (microseconds) when absent */
	int64_t tsoffset; /* if_tsoffset: seconds added to every timestamp */
};

struct png_reader {
	FILE *fp;
	const char *path;   /* owned by the caller (capture.c) */
	uint64_t off;       /* offset of the next block */
	bool be;            /* the current section is big-endian */
	size_t sec_base;    /* index in ifs[] of the current section's IDB 0 */
	struct png_iface **ifs; /* every IDB of every section, in file order */
	size_t nifs, ifs_cap;
	uint8_t *buf;       /* the current block, leading length included */
	char *origin_path;  /* a leakscope partial: the original capture's path */
	char *origin_format;
	char *origin_damage;
	size_t buf_cap;
	uint64_t frames;    /* packet records returned so far */
	uint64_t nsections; /* SHBs read so far (the first is section 1) */
};

static uint32_t get32(const uint8_t *p, bool be)
{
	if (be)
		return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static uint16_t rd16(struct cur *c, bool be)
{
	return be ? cur_u16(c) : cur_u16le(c);
}

static uint32_t rd32(struct cur *c, bool be)
{
	return be ? cur_u32(c) : cur_u32le(c);
}

static int fail(const struct png_reader *r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(const struct png_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", r->path);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Reads n bytes at the current file position; returns how many arrived. */
static size_t rd_file(struct png_reader *r, uint8_t *p, size_t n)
{
	return fread(p, 1, n, r->fp);
}

/* Interface names and descriptions end up in reports: keep printable ASCII
 * only, stop at a NUL (some writers include one), cap the length. */
static char *opt_str(const uint8_t *v, size_t n, size_t max)
{
	char *s = xmalloc((n < max ? n : max) + 1);
	size_t k = 0;
	for (size_t i = 0; i < n && k < max; i++) {
		if (v[i] == 0)
			break;
		s[k++] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	}
	s[k] = '\0';
	return s;
}

/* A path claimed by a partial's section comment reaches every report and
 * the TSV: printable ASCII stays, every other byte and the backslash
 * become \DDD (as the DNS parser writes names), at most PNG_PATH_MAX
 * bytes of the claim are read. */
#define PNG_PATH_MAX 4096
static char *claim_str(const char *v)
{
	size_t n = strnlen(v, PNG_PATH_MAX);
	char *s = xmalloc(4 * n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			s[k++] = (char)c;
		} else {
			s[k++] = '\\';
			s[k++] = (char)('0' + c / 100);
			s[k++] = (char)('0' + c / 10 % 10);
			s[k++] = (char)('0' + c % 10);
		}
	}
	s[k] = '\0';
	return s;
}

/*
 * Reads one whole block into r->buf and checks its framing (section 3.1):
 * total length >= 12, a multiple of 4, <= PNG_MAX_BLOCK, present in full,
 * trailing copy equal to the leading one.  An SHB announces its byte order
 * in the 4 bytes after its length, so those are read before the length is
 * interpreted.  Returns 1 with the type and length set, 0 at a clean end of file, -1.
 */
static int read_block(struct png_reader *r, uint32_t *type, uint32_t *len, char *err, size_t errlen)
{
	uint8_t h[12];
	unsigned long long at = (unsigned long long)r->off;
	size_t got = rd_file(r, h, 8);
	if (got == 0 && !ferror(r->fp))
		return 0;
	if (ferror(r->fp))
		return fail(r, err, errlen, "read error at byte %llu: %s", at, strerror(errno));
	if (got < 8)
		return fail(r, err, errlen,
			    "truncated block header at byte %llu: file ends after %zu of 8 bytes", at, got);
	size_t have = 8;
	if (h[0] == 0x0A && h[1] == 0x0D && h[2] == 0x0D && h[3] == 0x0A) {
		got = rd_file(r, h + 8, 4);
		if (got < 4)
			return fail(r, err, errlen,
				    "truncated section header at byte %llu: file ends after %zu of 12 bytes",
				    at, 8 + got);
		if (h[8] == 0x1A && h[9] == 0x2B && h[10] == 0x3C && h[11] == 0x4D)
			r->be = true;
		else if (h[8] == 0x4D && h[9] == 0x3C && h[10] == 0x2B && h[11] == 0x1A)
			r->be = false;
		else
			return fail(r, err, errlen,
				    "section header at byte %llu: bad byte-order magic %02x%02x%02x%02x",
				    at, h[8], h[9], h[10], h[11]);
		have = 12;
	}
	*type = get32(h, r->be);
	*len = get32(h + 4, r->be);
	if (*len < 12 || (*type == BT_SHB && *len < 28))
		return fail(r, err, errlen, "block at byte %llu (type 0x%x): total length %u is too small",
			    at, *type, *len);
	if (*len % 4 != 0)
		return fail(r, err, errlen,
			    "block at byte %llu (type 0x%x): total length %u is not a multiple of 4", at,
			    *type, *len);
	/* A lying length would otherwise make us allocate up to 4 GiB. */
	if (*len > PNG_MAX_BLOCK)
		return fail(r, err, errlen,
			    "block at byte %llu (type 0x%x): total length %u exceeds the %u-byte limit",
			    at, *type, *len, PNG_MAX_BLOCK);
	r->buf = xgrow(r->buf, &r->buf_cap, *len, 1);
	memcpy(r->buf, h, have);
	got = rd_file(r, r->buf + have, *len - have);
	if (got < *len - have) {
		if (ferror(r->fp))
			return fail(r, err, errlen, "read error at byte %llu: %s", at, strerror(errno));
		return fail(r, err, errlen,
			    "truncated block at byte %llu (type 0x%x, packet %llu): file ends after %zu of %u bytes",
			    at, *type, (unsigned long long)r->frames + 1, have + got, *len);
	}
	uint32_t trail = get32(r->buf + *len - 4, r->be);
	if (trail != *len)
		return fail(r, err, errlen,
			    "block at byte %llu (type 0x%x): trailing length %u differs from leading length %u",
			    at, *type, trail, *len);
	r->off += *len;
	return 1;
}

static int do_shb(struct png_reader *r, uint32_t len, char *err, size_t errlen)
{
	struct cur c;
	cur_init(&c, r->buf + 8, len - 12);
	cur_skip(&c, 4); /* byte-order magic, already checked */
	uint16_t major = rd16(&c, r->be);
	uint16_t minor = rd16(&c, r->be);
	if (major != 1)
		return fail(r, err, errlen, "section header at byte %llu: unsupported pcapng version %u.%u",
			    (unsigned long long)(r->off - len), major, minor);
	/* A new section starts a new interface numbering (section 4.1). */
	r->sec_base = r->nifs;
	r->nsections++;
	/* Options: only a leakscope partial's comment matters (partial.h). */
	cur_skip(&c, 8); /* section length */
	while (cur_left(&c) >= 4) {
		uint16_t code = rd16(&c, r->be), olen = rd16(&c, r->be);
		if (code == OPT_ENDOFOPT || olen > cur_left(&c))
			break;
		const uint8_t *v = cur_ptr(&c);
		cur_skip(&c, (size_t)((olen + 3u) & ~3u));
		size_t ml = strlen(PARTIAL_MAGIC);
		if (code != 1 || olen <= ml || memcmp(v, PARTIAL_MAGIC, ml) != 0 || r->origin_path)
			continue;
		/* "magic\nformat=...\npath=..." : the path is the rest of the value */
		char *txt = xmalloc((size_t)olen + 1);
		memcpy(txt, v, olen);
		txt[olen] = '\0';
		char *fmt = strstr(txt, "\nformat=");
		char *pth = strstr(txt, "\npath=");
		if (fmt && pth && pth > fmt) {
			*pth = '\0';
			r->origin_format = claim_str(fmt + 8);
			r->origin_path = claim_str(pth + 6);
		}
		free(txt);
	}
	return 0;
}

static int do_idb(struct png_reader *r, uint32_t len, char *err, size_t errlen)
{
	unsigned long long at = (unsigned long long)(r->off - len);
	struct cur c;
	cur_init(&c, r->buf + 8, len - 12);
	uint16_t lt = rd16(&c, r->be);
	cur_skip(&c, 2);
	uint32_t snaplen = rd32(&c, r->be);
	if (c.err)
		return fail(r, err, errlen, "interface block at byte %llu: too short (%u bytes)", at, len);
	/* Not damage to the file but our limit (a file of many sections, each
	 * with its own IDBs, reaches it): said as such, and the file is then
	 * incomplete like a damaged one, never silently cut. */
	if (r->nifs >= PNG_MAX_IFACES)
		return fail(r, err, errlen,
			    "interface block at byte %llu (section %llu): more than %u interfaces, leakscope's limit; "
			    "the rest of the file was not read",
			    at, (unsigned long long)r->nsections, PNG_MAX_IFACES);

	struct png_iface *ifc = xcalloc(1, sizeof(*ifc));
	ifc->pub.linktype = lt;
	ifc->pub.snaplen = snaplen;
	ifc->tsresol = 6;
	r->ifs = xgrow(r->ifs, &r->ifs_cap, r->nifs + 1, sizeof(*r->ifs));
	r->ifs[r->nifs++] = ifc; /* owned by r from here on */

	/* Options (section 3.5): code, length, value padded to 4.  The body
	 * length is a multiple of 4 and options start aligned, so a value that
	 * fits also fits with its padding. */
	while (cur_left(&c) >= 4) {
		uint16_t code = rd16(&c, r->be);
		uint16_t olen = rd16(&c, r->be);
		if (code == OPT_ENDOFOPT)
			break;
		if (olen > cur_left(&c))
			return fail(r, err, errlen,
				    "interface block at byte %llu: option %u length %u runs past the block",
				    at, code, olen);
		const uint8_t *v = cur_ptr(&c);
		cur_skip(&c, (size_t)((olen + 3u) & ~3u));
		if (code == OPT_IF_NAME && !ifc->pub.name)
			ifc->pub.name = opt_str(v, olen, PNG_NAME_MAX);
		else if (code == OPT_IF_DESCRIPTION && !ifc->pub.desc)
			ifc->pub.desc = opt_str(v, olen, PNG_DESC_MAX);
		else if (code == OPT_IF_TSRESOL && olen == 1)
			ifc->tsresol = v[0];
		else if (code == OPT_IF_TSOFFSET && olen == 8) {
			struct cur o;
			cur_init(&o, v, 8);
			uint64_t hi, lo;
			if (r->be) {
				hi = cur_u32(&o);
				lo = cur_u32(&o);
			} else {
				lo = cur_u32le(&o);
				hi = cur_u32le(&o);
			}
			ifc->tsoffset = (int64_t)((hi << 32) | lo);
		}
	}
	return 0;
}

/*
 * Converts a timestamp in the interface's units (if_tsresol: bit 7 clear,
 * 10^-n seconds; set, 2^-n seconds) to seconds + nanoseconds, adding
 * if_tsoffset.  Any resolution byte is accepted; units finer than 1 ns are
 * truncated, absurd values saturate instead of overflowing.
 */
static uint64_t pow10u(unsigned k)
{
	uint64_t v = 1;
	if (k > 19) /* 10^19 is the largest power of ten in 64 bits */
		return 0;
	while (k--)
		v *= 10;
	return v;
}

static void conv_ts(const struct png_iface *ifc, uint64_t t, int64_t *sec, uint32_t *nsec)
{
	uint64_t s, ns;
	unsigned n = ifc->tsresol & 0x7f;
	if (ifc->tsresol & 0x80) {
		__extension__ typedef unsigned __int128 u128;
		/* frac < 2^64, so frac * 10^9 < 2^94 fits. */
		u128 frac = (u128)t & ((((u128)1) << n) - 1);
		s = n < 64 ? t >> n : 0;
		ns = (uint64_t)((frac * 1000000000u) >> n);
	} else if (n <= 9) {
		s = t / pow10u(n);
		ns = (t % pow10u(n)) * pow10u(9 - n);
	} else if (n <= 19) {
		s = t / pow10u(n);
		ns = (t % pow10u(n)) / pow10u(n - 9);
	} else {
		/* Units finer than 10^-19 s: every 64-bit count is under 1 s. */
		uint64_t d = pow10u(n - 9);
		s = 0;
		ns = d ? t / d : 0;
	}
	int64_t si = s > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)s;
	if (__builtin_add_overflow(si, ifc->tsoffset, &si))
		si = ifc->tsoffset < 0 ? INT64_MIN : INT64_MAX;
	/* Later stages compute in microseconds (64 bits): a hostile timestamp
	 * is pinned to +-2^42 s (139,000 years), where that cannot overflow. */
	if (si > CAP_TS_MAX)
		si = CAP_TS_MAX;
	if (si < -CAP_TS_MAX)
		si = -CAP_TS_MAX;
	*sec = si;
	*nsec = (uint32_t)(ns % 1000000000u);
}

/* Checks that interface id exists in the current section; returns the
 * interface or NULL after writing err. */
static struct png_iface *find_iface(struct png_reader *r, uint32_t id, uint32_t len, uint32_t type,
				    char *err, size_t errlen)
{
	size_t n = r->nifs - r->sec_base;
	if (id >= n) {
		fail(r, err, errlen,
		     "block at byte %llu (type 0x%x, packet %llu): interface %u does not exist (the section declares %zu)",
		     (unsigned long long)(r->off - len), type, (unsigned long long)r->frames + 1, id, n);
		return NULL;
	}
	return r->ifs[r->sec_base + id];
}

static int do_packet(struct png_reader *r, uint32_t type, uint32_t len, struct cap_packet *pkt,
		     char *err, size_t errlen)
{
	unsigned long long at = (unsigned long long)(r->off - len);
	struct cur c;
	cur_init(&c, r->buf + 8, len - 12);
	uint32_t id = 0, caplen, wirelen, tsh = 0, tsl = 0;
	bool has_ts = true;

	if (type == BT_EPB) {
		id = rd32(&c, r->be);
		tsh = rd32(&c, r->be);
		tsl = rd32(&c, r->be);
		caplen = rd32(&c, r->be);
		wirelen = rd32(&c, r->be);
	} else if (type == BT_PB) {
		id = rd16(&c, r->be);
		cur_skip(&c, 2); /* drops count */
		tsh = rd32(&c, r->be);
		tsl = rd32(&c, r->be);
		caplen = rd32(&c, r->be);
		wirelen = rd32(&c, r->be);
	} else { /* SPB: interface 0, no timestamp (section 4.4) */
		wirelen = rd32(&c, r->be);
		caplen = wirelen;
		has_ts = false;
	}
	if (c.err)
		return fail(r, err, errlen, "packet block at byte %llu (type 0x%x, packet %llu): too short (%u bytes)",
			    at, type, (unsigned long long)r->frames + 1, len);
	struct png_iface *ifc = find_iface(r, id, len, type, err, errlen);
	if (!ifc)
		return -1;
	if (type == BT_SPB) {
		/* The captured length is implied: min(original length,
		 * snaplen, what the block holds). */
		if (caplen > cur_left(&c))
			caplen = (uint32_t)cur_left(&c);
		if (ifc->pub.snaplen && caplen > ifc->pub.snaplen)
			caplen = ifc->pub.snaplen;
	} else if (caplen > cur_left(&c)) {
		return fail(r, err, errlen,
			    "packet block at byte %llu (packet %llu): captured length %u exceeds the %zu bytes the block holds",
			    at, (unsigned long long)r->frames + 1, caplen, cur_left(&c));
	}

	memset(pkt, 0, sizeof(*pkt));
	pkt->frame = ++r->frames;
	pkt->offset = at;
	if (has_ts)
		conv_ts(ifc, ((uint64_t)tsh << 32) | tsl, &pkt->ts_sec, &pkt->ts_nsec);
	pkt->linktype = ifc->pub.linktype;
	pkt->iface = (int)(r->sec_base + id); /* < PNG_MAX_IFACES */
	pkt->has_iface = true;
	pkt->iface_name = ifc->pub.name;
	pkt->iface_desc = ifc->pub.desc;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	pkt->data = cur_ptr(&c);
	pkt->orig_caplen = caplen;
	if (type == BT_EPB && r->origin_path) {
		/* a partial's reduced record: "leakscope:r <original caplen>" */
		cur_skip(&c, (size_t)((caplen + 3u) & ~3u));
		while (cur_left(&c) >= 4) {
			uint16_t code = rd16(&c, r->be), olen = rd16(&c, r->be);
			if (code == OPT_ENDOFOPT || olen > cur_left(&c))
				break;
			const uint8_t *v = cur_ptr(&c);
			cur_skip(&c, (size_t)((olen + 3u) & ~3u));
			if (code == 1 && olen > 12 && olen < 32 && memcmp(v, "leakscope:r ", 12) == 0) {
				char num[24];
				memcpy(num, v + 12, olen - 12u);
				num[olen - 12u] = '\0';
				unsigned long oc = strtoul(num, NULL, 10);
				if (oc >= caplen && oc <= wirelen) {
					pkt->reduced = true;
					pkt->orig_caplen = (uint32_t)oc;
				}
			}
		}
	}
	return 1;
}

struct png_reader *png_open(FILE *fp, const char *path, char *err, size_t errlen)
{
	struct png_reader *r = xcalloc(1, sizeof(*r));
	r->fp = fp;
	r->path = path;
	uint32_t type = 0, len = 0;
	int rc = read_block(r, &type, &len, err, errlen);
	if (rc == 0) {
		fail(r, err, errlen, "empty file");
		goto bad;
	}
	if (rc < 0)
		goto bad;
	if (type != BT_SHB) {
		fail(r, err, errlen, "pcapng file does not start with a section header");
		goto bad;
	}
	if (do_shb(r, len, err, errlen) < 0)
		goto bad;
	return r;
bad:
	png_close(r);
	return NULL;
}

int png_next(struct png_reader *r, struct cap_packet *pkt, char *err, size_t errlen)
{
	for (;;) {
		uint32_t type = 0, len = 0;
		int rc = read_block(r, &type, &len, err, errlen);
		if (rc <= 0)
			return rc;
		switch (type) {
		case BT_SHB:
			rc = do_shb(r, len, err, errlen);
			break;
		case BT_IDB:
			rc = do_idb(r, len, err, errlen);
			break;
		case BT_EPB:
		case BT_SPB:
		case BT_PB:
			return do_packet(r, type, len, pkt, err, errlen);
		case 0x40000BADu:
			/* a partial's note that its original was damaged */
			if (len > 33 && !r->origin_damage && r->origin_path &&
			    memcmp(r->buf + 8, "\0\0\0\0leakscope-damage ", 21) == 0)
				r->origin_damage = opt_str(r->buf + 8 + 21, len - 33, 2000);
			rc = 0;
			break;
		default:
			/* NRB, ISB, DSB, other custom and unknown blocks: nothing we
			 * use, and the framing has been checked already. */
			rc = 0;
			break;
		}
		if (rc < 0)
			return -1;
	}
}

const char *png_origin_path(const struct png_reader *r)
{
	return r->origin_path;
}

const char *png_origin_format(const struct png_reader *r)
{
	return r->origin_format;
}

const char *png_origin_damage(const struct png_reader *r)
{
	return r->origin_damage;
}

size_t png_iface_count(const struct png_reader *r)
{
	return r->nifs;
}

const struct cap_iface *png_iface_get(const struct png_reader *r, size_t i)
{
	return i < r->nifs ? &r->ifs[i]->pub : NULL;
}

uint64_t png_tell(const struct png_reader *r)
{
	return r->off;
}

void png_close(struct png_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nifs; i++) {
		free(r->ifs[i]->pub.name);
		free(r->ifs[i]->pub.desc);
		free(r->ifs[i]);
	}
	free(r->ifs);
	free(r->buf);
	free(r->origin_path);
	free(r->origin_format);
	free(r->origin_damage);
	free(r);
}
