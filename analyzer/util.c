/* util.c - allocation policy, addresses, string buffers, time formatting, hashing. */
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void oom(size_t n)
{
	fprintf(stderr, "leakscope: out of memory (asked for %zu bytes)\n", n);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

void *xgrow(void *arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return arr;
	size_t nc = *cap ? *cap : 8;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem)
			oom(SIZE_MAX);
		nc *= 2;
	}
	arr = xrealloc(arr, nc * elem);
	*cap = nc;
	return arr;
}

char *put_u64(char *p, uint64_t v)
{
	char t[20];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}

size_t ipv4_str(const uint8_t a[4], char buf[16])
{
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return (size_t)(p - buf);
}

char *addr_str(const struct ls_addr *x, char *buf, size_t len)
{
	if (x->af == 4 && len >= 16)
		ipv4_str(x->a, buf);
	else if (x->af == 4)
		inet_ntop(AF_INET, x->a, buf, (socklen_t)len);
	else if (x->af == 6)
		inet_ntop(AF_INET6, x->a, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
	return buf;
}

int addr_parse(const char *s, struct ls_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->af = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->af = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

int prefix_parse(const char *s, struct ls_addr *out, uint8_t *plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (addr_parse(buf, out) < 0)
		return -1;
	unsigned max = out->af == 4 ? 32 : 128;
	if (!slash) {
		*plen = (uint8_t)max;
		return 0;
	}
	const char *d = slash + 1;
	if (*d == '\0' || strlen(d) > 3)
		return -1;
	unsigned v = 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -1;
		v = v * 10 + (unsigned)(*d - '0');
	}
	if (v > max)
		return -1;
	*plen = (uint8_t)v;
	return 0;
}

bool addr_in_prefix(const struct ls_addr *x, const struct ls_addr *net, uint8_t plen)
{
	if (x->af != net->af)
		return false;
	unsigned full = plen / 8, rest = plen % 8;
	if (memcmp(x->a, net->a, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((x->a[full] & mask) != (net->a[full] & mask))
			return false;
	}
	return true;
}

int addr_cmp(const struct ls_addr *x, const struct ls_addr *y)
{
	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

bool addr_is_loopback(const struct ls_addr *x)
{
	static const uint8_t v6lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	if (x->af == 4)
		return x->a[0] == 127;
	if (x->af == 6)
		return memcmp(x->a, v6lo, 16) == 0;
	return false;
}

bool addr_is_multicast(const struct ls_addr *x)
{
	if (x->af == 4)
		return (x->a[0] & 0xf0) == 0xe0 || (x->a[0] == 255 && x->a[1] == 255 && x->a[2] == 255 && x->a[3] == 255);
	if (x->af == 6)
		return x->a[0] == 0xff;
	return false;
}

bool addr_is_linklocal(const struct ls_addr *x)
{
	if (x->af == 4)
		return x->a[0] == 169 && x->a[1] == 254;
	if (x->af == 6)
		return x->a[0] == 0xfe && (x->a[1] & 0xc0) == 0x80;
	return false;
}

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void sb_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->s = xgrow(b->s, &b->cap, b->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sb_add_xml(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_add(b, "&amp;"); break;
		case '<': sb_add(b, "&lt;"); break;
		case '>': sb_add(b, "&gt;"); break;
		case '"': sb_add(b, "&quot;"); break;
		case '\'': sb_add(b, "&apos;"); break;
		default: sb_addn(b, s, 1);
		}
	}
}

void sb_free(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *time_iso_sec(int64_t sec, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;
	if (!gmtime_r(&t, &tm))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

char *time_iso(int64_t sec, uint32_t nsec, char *buf, size_t len)
{
	/* Reports print hundreds of thousands of times, mostly within the
	 * same second as the one before: the calendar part is kept per thread. */
	static _Thread_local int64_t last_sec = INT64_MIN;
	static _Thread_local char prefix[80];
	static _Thread_local bool last_ok;
	if (sec != last_sec) {
		struct tm tm;
		time_t t = (time_t)sec;
		last_sec = sec;
		last_ok = gmtime_r(&t, &tm) != NULL;
		if (last_ok)
			snprintf(prefix, sizeof(prefix), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
				 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	size_t pl = strlen(prefix);
	if (!last_ok || len < pl + 8 || strlen(prefix) != 20) {
		snprintf(buf, len, "-");
		if (last_ok && len >= pl + 8) {
			/* a year beyond 9999: no shortcut */
			snprintf(buf, len, "%s%06uZ", prefix, (unsigned)(nsec / 1000) % 1000000u);
		}
		return buf;
	}
	memcpy(buf, prefix, pl);
	unsigned us = (unsigned)(nsec / 1000) % 1000000u;
	for (int i = 5; i >= 0; i--) {
		buf[pl + (size_t)i] = (char)('0' + us % 10);
		us /= 10;
	}
	buf[pl + 6] = 'Z';
	buf[pl + 7] = '\0';
	return buf;
}

/* Eight bytes at a time, multiply and rotate (in the manner of wyhash and
 * xxhash's inner loops), then a final avalanche; the seed stops a crafted
 * capture from choosing its own collisions.  Hot: every packet's flow key
 * and every name-resolution payload pass here. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h ^= w * 0x87c37b91114253d5ULL;
		h = (h << 31) | (h >> 33);
		h *= 0x4cf5ad432745937fULL;
		b += 8;
		n -= 8;
	}
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++) /* the tail, little-endian as a memcpy would load it here: no libc call */
		t |= (uint64_t)b[i] << (8 * i);
	h ^= t * 0x87c37b91114253d5ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int ls_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int ls_mkdir_p(const char *d)
{
	char buf[4096];
	size_t n = strlen(d);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, d, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		buf[i] = c;
	}
	return 0;
}
