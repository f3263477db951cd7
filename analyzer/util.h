/* util.h - shared small types: addresses, bounds-checked read cursor, allocation policy. */
#ifndef LS_UTIL_H
#define LS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * One out-of-memory policy for the whole program (Redis style): the x*
 * allocators print a message and exit with status 2 when the system refuses
 * memory.  Every structure that grows from capture input has its own cap
 * (see the LS_MAX_* constants where it lives), so reaching a cap is reported
 * and never leads here; this only fires when the machine itself is out.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Growth helper for arrays: makes room for at least need elements.
 * *cap is updated; returns the (possibly moved) array. */
void *xgrow(void *arr, size_t *cap, size_t need, size_t elem);

/* ---------------------------------------------------------------------- */
/* Addresses.  af is 4 or 6 (0: none); IPv4 uses the first 4 bytes of a[]
 * and the rest stays zero, so memcmp over the struct compares correctly.   */
struct ls_addr {
	uint8_t af;
	uint8_t a[16];
};

/* Creates d and its missing parents, as mkdir -p (an existing folder is
 * fine: two writers may race).  Returns 0, or -1 with errno. */
int ls_mkdir_p(const char *d);

/* snprintf for a file path: -1 with errno ENAMETOOLONG when the path does
 * not fit in len (a cut path names another file: the host HTML page once
 * overwrote the host XML that way), else 0. */
int ls_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The decimal digits of v at p (up to 20, no terminator), without
 * printf: reports write several numbers an event.  Returns the end. */
char *put_u64(char *p, uint64_t v);

/* Dotted-quad text of an IPv4 address, exactly as inet_ntop writes it
 * (without its sprintf); returns the length. */
size_t ipv4_str(const uint8_t a[4], char buf[16]);
/* Writes the textual form (inet_ntop) into buf; returns buf. */
char *addr_str(const struct ls_addr *x, char *buf, size_t len);
/* Parses "192.0.2.1" or "2001:db8::1". Returns 0 or -1. */
int addr_parse(const char *s, struct ls_addr *out);
/* Parses "addr" or "addr/len"; a bare address gets the full length.
 * Returns 0 or -1 (bad address, bad length, host bits are allowed). */
int prefix_parse(const char *s, struct ls_addr *out, uint8_t *plen);
/* True when x lies in net/plen (same family). */
bool addr_in_prefix(const struct ls_addr *x, const struct ls_addr *net, uint8_t plen);
int addr_cmp(const struct ls_addr *x, const struct ls_addr *y);
bool addr_is_loopback(const struct ls_addr *x);
bool addr_is_multicast(const struct ls_addr *x);
bool addr_is_linklocal(const struct ls_addr *x);

/* ---------------------------------------------------------------------- */
/*
 * Bounds-checked read cursor with a sticky error flag (Knot DNS style):
 * a run of reads, one check at the end.  Once a read fails, err is set,
 * every later read returns 0 and the position no longer moves.  Every byte
 * of packet data is read through one of these.
 */
struct cur {
	const uint8_t *base; /* start of the readable window */
	size_t len;          /* window length */
	size_t pos;          /* next byte to read */
	bool err;            /* a read went past the end */
};

static inline void cur_init(struct cur *c, const uint8_t *p, size_t len)
{
	c->base = p;
	c->len = len;
	c->pos = 0;
	c->err = false;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : c->len - c->pos;
}

static inline const uint8_t *cur_ptr(const struct cur *c)
{
	return c->base + c->pos;
}

static inline bool cur_need(struct cur *c, size_t n)
{
	if (c->err || c->len - c->pos < n) {
		c->err = true;
		return false;
	}
	return true;
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return c->base[c->pos++];
}

static inline uint16_t cur_u16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((c->base[c->pos] << 8) | c->base[c->pos + 1]);
	c->pos += 2;
	return v;
}

static inline uint16_t cur_u16le(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)((c->base[c->pos + 1] << 8) | c->base[c->pos]);
	c->pos += 2;
	return v;
}

static inline uint32_t cur_u32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->base + c->pos;
	c->pos += 4;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint32_t cur_u32le(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	const uint8_t *p = c->base + c->pos;
	c->pos += 4;
	return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static inline void cur_skip(struct cur *c, size_t n)
{
	if (cur_need(c, n))
		c->pos += n;
}

static inline void cur_copy(struct cur *c, void *dst, size_t n)
{
	if (!cur_need(c, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, c->base + c->pos, n);
	c->pos += n;
}

/* Narrows the window to the next n bytes (a declared length that has been
 * checked against what is left); the sub-cursor starts at 0. */
static inline struct cur cur_sub(struct cur *c, size_t n)
{
	struct cur s;
	if (!cur_need(c, n)) {
		cur_init(&s, c->base, 0);
		s.err = true;
		return s;
	}
	cur_init(&s, c->base + c->pos, n);
	c->pos += n;
	return s;
}

/* ---------------------------------------------------------------------- */
/* Text output helpers. */

/* Appends s to a growable string buffer. */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};
void sb_add(struct sbuf *b, const char *s);
void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct sbuf *b);
/* Appends s with & < > " ' written as XML entities. */
void sb_add_xml(struct sbuf *b, const char *s);

/* Formats seconds+nanoseconds since the epoch as ISO 8601 UTC with
 * microseconds: 2024-01-02T03:04:05.123456Z.  buf needs 32 bytes. */
char *time_iso(int64_t sec, uint32_t nsec, char *buf, size_t len);
/* The same to the second, for times known only to the second
 * (2024-01-02T03:04:05Z): no invented fraction. */
char *time_iso_sec(int64_t sec, char *buf, size_t len);

/* A seeded 64-bit hash for table keys built from packet fields (STYLE 10). */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
