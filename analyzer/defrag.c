/* defrag.c - IPv4 (RFC 791, RFC 815) and IPv6 (RFC 8200 4.5, RFC 5722) fragment reassembly, bounded. */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Hash key; built with memset so the padding-free layout hashes and
 * compares as plain bytes. */
struct df_key {
	uint8_t af;
	uint8_t proto; /* IPv4 only; 0 for IPv6 */
	uint8_t pad[2];
	uint32_t id;
	uint8_t src[16];
	uint8_t dst[16];
	uint64_t ctx;  /* at offset 40: no padding anywhere */
};
_Static_assert(sizeof(struct df_key) == 48, "df_key is hashed and compared as bytes: no padding");

/* A run of bytes already received: [start, end). */
struct df_range {
	uint32_t start, end;
};

struct df_dgram {
	struct df_key key;
	struct df_dgram *hnext;        /* hash chain */
	struct df_dgram *older, *newer; /* creation order, for timeout and eviction */
	int64_t first_ns;
	uint8_t *hdr; /* copy of the offset-0 fragment's header */
	uint32_t hdr_len, nh_off;
	uint8_t nh;
	bool have_first, have_last;
	uint32_t total;  /* payload length, known once the last fragment came */
	uint8_t *data;   /* payload bytes [0, data_cap) */
	uint32_t data_cap;
	struct df_range *rng; /* sorted, disjoint, not adjacent */
	size_t nrng, rng_cap;
	uint64_t mem;    /* bytes accounted to this datagram */
};

struct defrag {
	struct defrag_limits lim;
	uint64_t seed;
	struct df_dgram **tab;
	size_t nbuckets; /* power of two */
	struct df_dgram *oldest, *newest;
	uint32_t count;
	uint64_t mem;
	struct defrag_stats st;
	uint8_t *out; /* last reassembled datagram, owned here */
};

struct defrag *defrag_new(const struct defrag_limits *lim, uint64_t seed)
{
	struct defrag *df = xcalloc(1, sizeof(*df));
	if (lim) {
		df->lim = *lim;
	} else {
		df->lim.max_dgrams = DEFRAG_MAX_DGRAMS;
		df->lim.max_payload = DEFRAG_MAX_PAYLOAD;
		df->lim.max_mem = DEFRAG_MAX_MEM;
		df->lim.timeout_ns = DEFRAG_TIMEOUT_NS;
	}
	if (df->lim.max_dgrams == 0)
		df->lim.max_dgrams = 1;
	if (df->lim.max_payload > 65535)
		df->lim.max_payload = 65535; /* an IP length field cannot say more */
	df->seed = seed;
	df->nbuckets = 64;
	while (df->nbuckets < 2 * (size_t)df->lim.max_dgrams && df->nbuckets < (1u << 20))
		df->nbuckets *= 2;
	df->tab = xcalloc(df->nbuckets, sizeof(*df->tab));
	return df;
}

static size_t bucket(const struct defrag *df, const struct df_key *k)
{
	return (size_t)hash_bytes(k, sizeof(*k), df->seed) & (df->nbuckets - 1);
}

static void account(struct defrag *df, struct df_dgram *dg)
{
	uint64_t m = sizeof(*dg) + dg->hdr_len + dg->data_cap + dg->rng_cap * sizeof(struct df_range);
	df->mem = df->mem - dg->mem + m;
	dg->mem = m;
}

/* Unlinks and frees a datagram. */
static void dg_remove(struct defrag *df, struct df_dgram *dg)
{
	struct df_dgram **pp = &df->tab[bucket(df, &dg->key)];
	while (*pp && *pp != dg)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = dg->hnext;
	if (dg->older)
		dg->older->newer = dg->newer;
	else
		df->oldest = dg->newer;
	if (dg->newer)
		dg->newer->older = dg->older;
	else
		df->newest = dg->older;
	df->count--;
	df->mem -= dg->mem;
	free(dg->hdr);
	free(dg->data);
	free(dg->rng);
	free(dg);
}

static void evict_oldest(struct defrag *df)
{
	df->st.dropped++;
	df->st.evicted++;
	df->st.cap_reached = true;
	dg_remove(df, df->oldest);
}

/* Datagrams are kept in arrival order of their first fragment; captures
 * are (nearly) in time order, so the oldest is at the head and the walk
 * stops at the first one still young. */
static void expire(struct defrag *df, int64_t now)
{
	while (df->oldest) {
		int64_t age;
		/* Overflow means the timestamps are absurdly far apart:
		 * expire when now is the later one. */
		if (__builtin_sub_overflow(now, df->oldest->first_ns, &age))
			age = now > df->oldest->first_ns ? INT64_MAX : INT64_MIN;
		if (age <= df->lim.timeout_ns)
			break;
		df->st.dropped++;
		df->st.timeouts++;
		dg_remove(df, df->oldest);
	}
}

static struct df_dgram *lookup(struct defrag *df, const struct df_key *k)
{
	for (struct df_dgram *dg = df->tab[bucket(df, k)]; dg; dg = dg->hnext)
		if (memcmp(&dg->key, k, sizeof(*k)) == 0)
			return dg;
	return NULL;
}

static struct df_dgram *create(struct defrag *df, const struct df_key *k, int64_t now)
{
	if (df->count >= df->lim.max_dgrams)
		evict_oldest(df);
	struct df_dgram *dg = xcalloc(1, sizeof(*dg));
	dg->key = *k;
	dg->first_ns = now;
	size_t b = bucket(df, k);
	dg->hnext = df->tab[b];
	df->tab[b] = dg;
	dg->older = df->newest;
	if (df->newest)
		df->newest->newer = dg;
	else
		df->oldest = dg;
	df->newest = dg;
	df->count++;
	account(df, dg);
	return dg;
}

/* Makes room for `more` new bytes under max_mem by dropping the oldest
 * datagrams.  Returns false when dg itself has become the oldest and there
 * is still no room: the caller then gives dg up. */
static bool make_room(struct defrag *df, struct df_dgram *dg, uint64_t more)
{
	while (df->mem + more > df->lim.max_mem) {
		if (!df->oldest || df->oldest == dg)
			return false;
		evict_oldest(df);
	}
	return true;
}

static void add_range(struct df_dgram *dg, uint32_t s, uint32_t e)
{
	size_t i = 0;
	while (i < dg->nrng && dg->rng[i].end < s)
		i++;
	size_t j = i;
	while (j < dg->nrng && dg->rng[j].start <= e)
		j++;
	/* ranges i..j-1 touch [s, e): merge them into one */
	if (i < j) {
		if (dg->rng[i].start < s)
			s = dg->rng[i].start;
		if (dg->rng[j - 1].end > e)
			e = dg->rng[j - 1].end;
		dg->rng[i].start = s;
		dg->rng[i].end = e;
		memmove(&dg->rng[i + 1], &dg->rng[j], (dg->nrng - j) * sizeof(*dg->rng));
		dg->nrng -= j - i - 1;
		return;
	}
	dg->rng = xgrow(dg->rng, &dg->rng_cap, dg->nrng + 1, sizeof(*dg->rng));
	memmove(&dg->rng[i + 1], &dg->rng[i], (dg->nrng - i) * sizeof(*dg->rng));
	dg->rng[i].start = s;
	dg->rng[i].end = e;
	dg->nrng++;
}

static uint16_t ip4_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)((p[i] << 8) | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Builds the whole datagram into df->out.  Returns its length, 0 when the
 * result would not fit an IP length field. */
static uint32_t build(struct defrag *df, struct df_dgram *dg)
{
	uint64_t n = (uint64_t)dg->hdr_len + dg->total;
	if (dg->key.af == 4 ? n > 65535 : n - 40 > 65535)
		return 0;
	df->out = xmalloc((size_t)n);
	memcpy(df->out, dg->hdr, dg->hdr_len);
	if (dg->total)
		memcpy(df->out + dg->hdr_len, dg->data, dg->total);
	uint8_t *h = df->out;
	if (dg->key.af == 4) {
		put16(h + 2, (uint32_t)n);
		h[6] &= 0xc0; /* keep reserved and DF, clear MF and the offset */
		h[7] = 0;
		put16(h + 10, 0);
		put16(h + 10, ip4_csum(h, dg->hdr_len));
	} else {
		put16(h + 4, (uint32_t)(n - 40));
		h[dg->nh_off] = dg->nh;
	}
	return (uint32_t)n;
}

enum defrag_result defrag_add(struct defrag *df, const struct defrag_frag *f, const uint8_t **out,
			      uint32_t *out_len)
{
	struct df_key k;
	size_t alen = f->af == 4 ? 4 : 16;

	free(df->out);
	df->out = NULL;
	*out = NULL;
	*out_len = 0;
	df->st.frags++;
	expire(df, f->ts_ns);

	memset(&k, 0, sizeof(k));
	k.af = f->af;
	k.proto = f->af == 4 ? f->proto : 0;
	k.id = f->id;
	k.ctx = f->ctx;
	memcpy(k.src, f->src, alen);
	memcpy(k.dst, f->dst, alen);
	struct df_dgram *dg = lookup(df, &k);

	uint64_t end = (uint64_t)f->offset + f->len;
	/* Ping of death (CVE-1999-0128 and kin): a datagram may not grow past
	 * what its length field can say.  Give it up entirely. */
	bool bad_hdr = f->offset == 0 &&
		       (f->af == 4 ? f->hdr_len < 20 || f->hdr_len > 60
				   : f->hdr_len < 40 || f->nh_off >= f->hdr_len);
	if (end > df->lim.max_payload || bad_hdr) {
		if (dg)
			dg_remove(df, dg);
		df->st.dropped++;
		df->st.oversize++;
		return DEFRAG_DROPPED;
	}
	if (!dg)
		dg = create(df, &k, f->ts_ns);

	/* The last fragment fixes the length; a second, different end or
	 * bytes beyond it are inconsistent: first-come wins, count it. */
	uint32_t covered_end = dg->nrng ? dg->rng[dg->nrng - 1].end : 0;
	if (!f->more) {
		if ((dg->have_last && dg->total != end) || end < covered_end) {
			df->st.overlaps++;
			return DEFRAG_HELD;
		}
		dg->have_last = true;
		dg->total = (uint32_t)end;
	} else if (dg->have_last && end > dg->total) {
		df->st.overlaps++;
		return DEFRAG_HELD;
	}

	if (f->offset == 0 && !dg->have_first) {
		if (!make_room(df, dg, f->hdr_len))
			goto toobig;
		dg->hdr = xmalloc(f->hdr_len);
		memcpy(dg->hdr, f->hdr, f->hdr_len);
		dg->hdr_len = f->hdr_len;
		dg->nh_off = f->nh_off;
		dg->nh = f->nh;
		dg->have_first = true;
		account(df, dg);
	}

	if (f->len) {
		/* Room first: the payload buffer may grow, and the range array
		 * may double (xgrow) when this fragment adds a range. */
		uint64_t more = 0;
		uint32_t nc = dg->data_cap;
		if (end > dg->data_cap) {
			nc = dg->data_cap * 2 > end ? dg->data_cap * 2 : (uint32_t)end;
			if (nc > df->lim.max_payload)
				nc = df->lim.max_payload;
			more = nc - dg->data_cap;
		}
		if (dg->nrng + 1 > dg->rng_cap)
			more += (dg->rng_cap ? dg->rng_cap : 8) * sizeof(struct df_range);
		if (!make_room(df, dg, more))
			goto toobig;
		if (nc > dg->data_cap) {
			dg->data = xrealloc(dg->data, nc);
			dg->data_cap = nc;
		}
		/* Copy only the bytes nobody sent before (first-come wins);
		 * compare the rest to tell a harmless repeat from an overlap
		 * that tries to change data. */
		uint32_t s = f->offset, e = (uint32_t)end, pos = s;
		bool fresh = false, old = false, differ = false;
		for (size_t i = 0; i < dg->nrng && pos < e; i++) {
			const struct df_range *r = &dg->rng[i];
			if (r->end <= pos)
				continue;
			if (r->start >= e)
				break;
			if (r->start > pos) {
				memcpy(dg->data + pos, f->data + (pos - s), r->start - pos);
				fresh = true;
				pos = r->start;
			}
			uint32_t ce = r->end < e ? r->end : e;
			old = true;
			if (memcmp(dg->data + pos, f->data + (pos - s), ce - pos) != 0)
				differ = true;
			pos = ce;
		}
		if (pos < e) {
			memcpy(dg->data + pos, f->data + (pos - s), e - pos);
			fresh = true;
		}
		if (old) {
			if (fresh || differ)
				df->st.overlaps++;
			else
				df->st.dups++;
		}
		add_range(dg, s, e);
		account(df, dg);
	}

	if (!dg->have_first || !dg->have_last)
		return DEFRAG_HELD;
	if (dg->total && (dg->nrng != 1 || dg->rng[0].start != 0 || dg->rng[0].end != dg->total))
		return DEFRAG_HELD;
	uint32_t n = build(df, dg);
	if (!n) {
		dg_remove(df, dg);
		df->st.dropped++;
		df->st.oversize++;
		return DEFRAG_DROPPED;
	}
	dg_remove(df, dg);
	df->st.reassembled++;
	*out = df->out;
	*out_len = n;
	return DEFRAG_DONE;

toobig:
	/* max_mem is smaller than this one datagram */
	dg_remove(df, dg);
	df->st.dropped++;
	df->st.evicted++;
	df->st.cap_reached = true;
	return DEFRAG_DROPPED;
}

const struct defrag_stats *defrag_get_stats(const struct defrag *df)
{
	return &df->st;
}

uint32_t defrag_pending(const struct defrag *df)
{
	return df->count;
}

uint64_t defrag_mem(const struct defrag *df)
{
	return df->mem;
}

void defrag_free(struct defrag *df)
{
	if (!df)
		return;
	while (df->oldest)
		dg_remove(df, df->oldest);
	free(df->tab);
	free(df->out);
	free(df);
}
