/* autofp.c - -j N: one reader decodes, N flow workers follow the flows (see autofp.h).
 *
 * A batch is a byte buffer of records, each a packet copy: the record
 * (struct cap_packet, struct pkt, offsets) and then the captured bytes,
 * and, when the decoder's reassembly put the IP datagram or the payload
 * elsewhere, a copy of those too; the worker points the copy's pointers
 * into its record.  Interface names and NFLOG prefixes (decoder- and
 * file-owned strings) are not carried: no flow stage reads them.
 *
 * Per worker at most AFP_DEPTH batches exist; the reader blocks on a full
 * queue, so memory is bounded whatever the speed of either side.  Locks
 * are taken once per batch (AFP_BATCH bytes), never per packet.
 */
#include "autofp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "util.h"

#define AFP_BATCH (128u << 10) /* fits the core's cache beside the reader's buffer */
#define AFP_DEPTH 16           /* batches per worker: 2 MiB of packets in flight at most */
#define AFP_NONE UINT32_MAX

struct rec {
	uint32_t size; /* the whole record, a multiple of 8 */
	uint32_t iref;
	uint32_t ip_at, pl_at; /* offsets into bytes, AFP_NONE for NULL */
	struct cap_packet cp;  /* data: bytes + 0 */
	struct pkt p;
	uint8_t bytes[];
};

struct batch {
	size_t len, cap;
	uint8_t *buf;
};

struct worker {
	struct autofp *fp;
	struct analysis *a;
	pthread_t th;
	bool threaded; /* false: no thread could be had, the reader runs its packets itself */
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_free;
	struct batch *ring[AFP_DEPTH];
	unsigned head, n;
	struct batch *fre[AFP_DEPTH];
	unsigned nfree, nalloc;
	bool done;
	struct batch *cur; /* the reader's, being filled */
};

struct autofp {
	unsigned n;
	struct worker *w;
	/* nDPI modules: built by the workers in their threads, one after
	 * another (module creation is not thread-safe), while the reader
	 * already reads; no worker runs a packet before all are built, so no
	 * detection overlaps a module's creation */
	pthread_mutex_t init_mu;
	pthread_cond_t init_cv;
	unsigned inited;
};

static void run_batch(struct worker *w, struct batch *b)
{
	size_t off = 0;
	while (off < b->len) {
		struct rec *r = (struct rec *)(void *)(b->buf + off);
		off += r->size;
		r->cp.data = r->bytes;
		r->p.cp = &r->cp;
		r->p.ip = r->ip_at == AFP_NONE ? NULL : r->bytes + r->ip_at;
		r->p.payload = r->pl_at == AFP_NONE ? NULL : r->bytes + r->pl_at;
		pipeline_flow_packet(w->a, &r->p, r->iref);
	}
	b->len = 0;
}

static void build_dpi(struct worker *w)
{
	w->a->dpi = dpi_new();
	if (!w->a->dpi) {
		fprintf(stderr, "leakscope: cannot initialise nDPI\n");
		exit(2);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct autofp *fp = w->fp;
	pthread_mutex_lock(&fp->init_mu);
	build_dpi(w);
	fp->inited++;
	pthread_cond_broadcast(&fp->init_cv);
	while (fp->inited < fp->n)
		pthread_cond_wait(&fp->init_cv, &fp->init_mu);
	pthread_mutex_unlock(&fp->init_mu);
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->n == 0 && !w->done)
			pthread_cond_wait(&w->cv_work, &w->mu);
		if (w->n == 0) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		struct batch *b = w->ring[w->head];
		w->head = (w->head + 1) % AFP_DEPTH;
		w->n--;
		pthread_mutex_unlock(&w->mu);
		run_batch(w, b);
		pthread_mutex_lock(&w->mu);
		w->fre[w->nfree++] = b;
		pthread_cond_signal(&w->cv_free);
		pthread_mutex_unlock(&w->mu);
	}
	/* the last packet seen: the worker's flows end here, in its own
	 * thread and beside the others, not one worker after another in the
	 * reader's merge */
	an_end_flows(w->a);
	return NULL;
}

struct autofp *autofp_start(struct analysis *a, unsigned n)
{
	struct autofp *fp = xcalloc(1, sizeof(*fp));
	fp->n = n;
	fp->w = xcalloc(n, sizeof(*fp->w));
	pthread_mutex_init(&fp->init_mu, NULL);
	pthread_cond_init(&fp->init_cv, NULL);
	/* every worker's analysis (and nDPI module: its init is not
	 * thread-safe, ../shared/notes/ndpi-4.2.md) before any thread */
	for (unsigned k = 0; k < n; k++) {
		struct an_options o = a->opt;
		o.shard = k + 1;
		o.nshards = 0;
		o.progress = false;
		o.partial_path = NULL;
		fp->w[k].fp = fp;
		fp->w[k].a = an_new(&o, a->rules); /* shard > 0: no module yet */
		pthread_mutex_init(&fp->w[k].mu, NULL);
		pthread_cond_init(&fp->w[k].cv_work, NULL);
		pthread_cond_init(&fp->w[k].cv_free, NULL);
	}
	bool inline_run = false;
	for (unsigned k = 0; k < n; k++) {
		fp->w[k].threaded = pthread_create(&fp->w[k].th, NULL, worker_main, &fp->w[k]) == 0;
		if (!fp->w[k].threaded) {
			/* run by the reader (same results); its module is built
			 * here, counted so that the threads do not wait for it */
			pthread_mutex_lock(&fp->init_mu);
			build_dpi(&fp->w[k]);
			fp->inited++;
			pthread_cond_broadcast(&fp->init_cv);
			pthread_mutex_unlock(&fp->init_mu);
			inline_run = true;
		}
	}
	if (inline_run) { /* the reader runs detection: not while a module is built */
		pthread_mutex_lock(&fp->init_mu);
		while (fp->inited < fp->n)
			pthread_cond_wait(&fp->init_cv, &fp->init_mu);
		pthread_mutex_unlock(&fp->init_mu);
	}
	return fp;
}

static struct batch *take_free(struct worker *w)
{
	struct batch *b = NULL;
	pthread_mutex_lock(&w->mu);
	while (w->nfree == 0 && w->nalloc >= AFP_DEPTH)
		pthread_cond_wait(&w->cv_free, &w->mu);
	if (w->nfree)
		b = w->fre[--w->nfree];
	else
		w->nalloc++;
	pthread_mutex_unlock(&w->mu);
	if (!b) {
		b = xcalloc(1, sizeof(*b));
		b->cap = AFP_BATCH;
		b->buf = xmalloc(b->cap);
	}
	return b;
}

static void push(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->ring[(w->head + w->n) % AFP_DEPTH] = w->cur;
	w->n++;
	pthread_cond_signal(&w->cv_work);
	pthread_mutex_unlock(&w->mu);
	w->cur = NULL;
}

static bool inside(const uint8_t *x, uint32_t n, const uint8_t *base, uint32_t blen)
{
	uintptr_t px = (uintptr_t)x, pb = (uintptr_t)base;
	return base && px >= pb && px - pb <= blen && (uint64_t)(px - pb) + n <= blen;
}

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

void autofp_dispatch(struct autofp *fp, const struct pkt *p, uint32_t iref)
{
	struct worker *w = &fp->w[pipeline_shard_of(p, fp->n)];
	if (!w->threaded) {
		pipeline_flow_packet(w->a, (struct pkt *)(uintptr_t)p, iref);
		return;
	}
	const struct cap_packet *cp = p->cp;
	uint32_t caplen = cp->caplen;
	bool ip_in = !p->ip || inside(p->ip, p->ip_len, cp->data, caplen);
	bool pl_in = !p->payload || inside(p->payload, p->payload_len, cp->data, caplen) ||
		     (!ip_in && inside(p->payload, p->payload_len, p->ip, p->ip_len));
	size_t need = sizeof(struct rec) + (size_t)caplen + (ip_in ? 0 : p->ip_len) + (pl_in ? 0 : p->payload_len);
	need = pad8(need);
	if (w->cur && w->cur->len + need > w->cur->cap) {
		if (w->cur->len)
			push(w);
	}
	if (!w->cur)
		w->cur = take_free(w);
	struct batch *b = w->cur;
	if (need > b->cap) { /* one record larger than a batch: this batch grows */
		b->buf = xrealloc(b->buf, need);
		b->cap = need;
	}
	struct rec *r = (struct rec *)(void *)(b->buf + b->len);
	r->size = (uint32_t)need;
	r->iref = iref;
	r->cp = *cp;
	r->cp.iface_name = NULL;
	r->cp.iface_desc = NULL;
	r->p = *p;
	r->p.ifname = NULL;
	r->p.nflog_prefix = NULL;
	if (caplen)
		memcpy(r->bytes, cp->data, caplen);
	size_t at = caplen;
	if (!p->ip) {
		r->ip_at = AFP_NONE;
	} else if (ip_in) {
		r->ip_at = (uint32_t)(p->ip - cp->data);
	} else {
		memcpy(r->bytes + at, p->ip, p->ip_len);
		r->ip_at = (uint32_t)at;
		at += p->ip_len;
	}
	if (!p->payload) {
		r->pl_at = AFP_NONE;
	} else if (inside(p->payload, p->payload_len, cp->data, caplen)) {
		r->pl_at = (uint32_t)(p->payload - cp->data);
	} else if (!ip_in && inside(p->payload, p->payload_len, p->ip, p->ip_len)) {
		r->pl_at = r->ip_at + (uint32_t)(p->payload - p->ip);
	} else {
		memcpy(r->bytes + at, p->payload, p->payload_len);
		r->pl_at = (uint32_t)at;
	}
	b->len += need;
}

void autofp_stop(struct autofp *fp, struct analysis *a)
{
	if (!fp)
		return;
	for (unsigned k = 0; k < fp->n; k++) {
		struct worker *w = &fp->w[k];
		if (!w->threaded)
			continue;
		if (w->cur && w->cur->len)
			push(w);
		pthread_mutex_lock(&w->mu);
		if (w->cur) { /* empty: back to the free list */
			w->fre[w->nfree++] = w->cur;
			w->cur = NULL;
		}
		w->done = true;
		pthread_cond_signal(&w->cv_work);
		pthread_mutex_unlock(&w->mu);
	}
	for (unsigned k = 0; k < fp->n; k++) {
		struct worker *w = &fp->w[k];
		if (w->threaded)
			pthread_join(w->th, NULL);
		for (unsigned i = 0; i < w->nfree; i++) {
			free(w->fre[i]->buf);
			free(w->fre[i]);
		}
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv_work);
		pthread_cond_destroy(&w->cv_free);
	}
	/* in worker order: the same merge whatever the timing */
	for (unsigned k = 0; k < fp->n; k++) {
		an_merge_shard(a, fp->w[k].a);
		an_free(fp->w[k].a);
	}
	pthread_mutex_destroy(&fp->init_mu);
	pthread_cond_destroy(&fp->init_cv);
	free(fp->w);
	free(fp);
}
