/* partial.c - writes partial results as pcapng (draft-ietf-opsawg-pcapng: SHB, IDB, EPB, custom block). */
#include "partial.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct partial {
	FILE *f;
	size_t ifaces_written;
	bool err;
};

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f); /* host order: the SHB's byte-order magic says which */
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void pad(FILE *f, size_t n)
{
	static const uint8_t zero[4];
	fwrite(zero, 1, (4 - n % 4) % 4, f);
}

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An option: code, length, value, padding. */
static size_t opt_len(size_t n)
{
	return 4 + padded(n);
}

static void put_opt(FILE *f, uint16_t code, const void *v, size_t n)
{
	put16(f, code);
	put16(f, (uint16_t)n);
	fwrite(v, 1, n, f);
	pad(f, n);
}

struct partial *partial_open(const char *path, const char *orig_path, const char *orig_format, char *err,
			     size_t errlen)
{
	char comment[4096];
	int n = snprintf(comment, sizeof(comment), "%s\nformat=%s\npath=%s", PARTIAL_MAGIC, orig_format, orig_path);
	if (n < 0 || (size_t)n >= sizeof(comment)) {
		/* a cut path would name another capture in the merged reports */
		snprintf(err, errlen, "%s: the capture's path is too long for a partial (%zu bytes; at most %zu)", path,
			 strlen(orig_path), sizeof(comment) - 1 - strlen(PARTIAL_MAGIC) - strlen(orig_format) - 14);
		return NULL;
	}
	FILE *f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return NULL;
	}
	struct partial *w = xcalloc(1, sizeof(*w));
	w->f = f;
	size_t clen = (size_t)n;
	uint32_t total = (uint32_t)(28 + opt_len(clen) + 4);
	put32(f, 0x0A0D0D0A);
	put32(f, total);
	put32(f, 0x1A2B3C4D);
	put16(f, 1);
	put16(f, 0);
	uint64_t seclen = UINT64_MAX; /* not given */
	fwrite(&seclen, 8, 1, f);
	put_opt(f, 1, comment, clen); /* opt_comment */
	put16(f, 0);
	put16(f, 0);
	put32(f, total);
	return w;
}

static void write_idb(struct partial *w, const struct cap_iface *ifc)
{
	size_t nlen = ifc->name ? strlen(ifc->name) : 0;
	uint8_t tsresol = 9; /* nanoseconds */
	uint32_t total = (uint32_t)(16 + (nlen ? opt_len(nlen) : 0) + opt_len(1) + 4 + 4);
	put32(w->f, 0x00000001);
	put32(w->f, total);
	put16(w->f, (uint16_t)ifc->linktype);
	put16(w->f, 0);
	put32(w->f, 0); /* snaplen: none, records keep what they had */
	if (nlen)
		put_opt(w->f, 2, ifc->name, nlen);
	put_opt(w->f, 9, &tsresol, 1);
	put16(w->f, 0);
	put16(w->f, 0);
	put32(w->f, total);
}

int partial_write(struct partial *w, struct cap_file *cf, const struct cap_packet *cp, uint32_t keep)
{
	/* Interfaces in the order the capture declared them, so ids match. */
	size_t nif = cap_iface_count(cf);
	if (nif == 0 && w->ifaces_written == 0) {
		struct cap_iface one = {cp->linktype, 0, NULL, NULL};
		write_idb(w, &one);
		w->ifaces_written = 1;
	}
	for (; w->ifaces_written < nif; w->ifaces_written++)
		write_idb(w, cap_iface_get(cf, w->ifaces_written));
	/* Timestamps go out in nanoseconds in 64 bits: seconds outside
	 * 0 .. 2^64/10^9 (year 2554) cannot be written faithfully, and a
	 * partial must not change what merge will see. */
	if (cp->ts_sec < 0 || (uint64_t)cp->ts_sec > UINT64_MAX / 1000000000u - 1) {
		w->err = true;
		return -1;
	}
	if (keep > cp->caplen)
		keep = cp->caplen;
	/* A reduced record says so, with its original captured length, so
	 * the reader counts snaplen cuts as the original had them. */
	char note[40];
	size_t nlen = 0;
	if (keep < cp->caplen)
		nlen = (size_t)snprintf(note, sizeof(note), "leakscope:r %u", cp->caplen);
	uint64_t ts = (uint64_t)cp->ts_sec * 1000000000u + cp->ts_nsec;
	uint32_t total = (uint32_t)(28 + padded(keep) + (nlen ? opt_len(nlen) + 4 : 0) + 4);
	put32(w->f, 0x00000006);
	put32(w->f, total);
	put32(w->f, (uint32_t)(cap_iface_count(cf) ? cp->iface : 0));
	put32(w->f, (uint32_t)(ts >> 32));
	put32(w->f, (uint32_t)ts);
	put32(w->f, keep);
	put32(w->f, cp->wirelen);
	fwrite(cp->data, 1, keep, w->f);
	pad(w->f, keep);
	if (nlen) {
		put_opt(w->f, 1, note, nlen);
		put16(w->f, 0);
		put16(w->f, 0);
	}
	put32(w->f, total);
	if (ferror(w->f))
		w->err = true;
	return w->err ? -1 : 0;
}

int partial_close(struct partial *w, const char *damage)
{
	if (damage) {
		/* Custom block (0x40000BAD: not to be copied by other tools),
		 * private enterprise number 0, then the message. */
		char msg[2048];
		int n = snprintf(msg, sizeof(msg), "leakscope-damage %s", damage);
		size_t len = n < 0 ? 0 : (size_t)n >= sizeof(msg) ? sizeof(msg) - 1 : (size_t)n;
		uint32_t total = (uint32_t)(16 + padded(len));
		put32(w->f, 0x40000BAD);
		put32(w->f, total);
		put32(w->f, 0);
		fwrite(msg, 1, len, w->f);
		pad(w->f, len);
		put32(w->f, total);
	}
	bool bad = w->err || ferror(w->f);
	if (fclose(w->f) != 0)
		bad = true;
	free(w);
	return bad ? -1 : 0;
}
