/* pipeline.c - the order of the stages, per packet and per file; the run over files; -j workers merged.
 *
 * Follow one packet by opening the files in this order:
 *
 *   capture.c      cap_next: the next record of the file (pcap, pcapng)
 *   decode.c       decode_packet: link and IP layers, tunnels it can open
 *   process_packet (below), for a decoded packet:
 *     iface.c        which interface it crossed, counted
 *     hosts.c        its sender's MAC for its source address (host-os.c: its TTL)
 *     carrier.c      a declared carrier?  -> timeline.c, and nothing more
 *     carrier.c      else to an endpoint's address: cleartext beside the carrier
 *     timeline.c     to or from a tunnel's inside address: tunnel activity
 *     resolve-wire.c DHCP: announced names and routes, nothing more
 *                    (host-os.c: a client's request list and vendor class)
 *     (-j: autofp.c copies the packet to its flow's worker, which goes on)
 *     flow.c         its flow
 *     carrier.c      evidence that the flow is a carrier (carrier-evidence.c); ESP stops here
 *     resolve-wire.c UDP name resolution; nDPI; the TCP stream; DoT/DoH/DoQ
 *   when a flow ends (flow_ended): resolve-wire.c flushes its stream,
 *     carrier.c notes it for suggest-tunnel
 *
 * and after the last file (an_finish):
 *   every flow ends; events sorted by time (event.c)
 *   timeline.c     gap thresholds, joined segments
 *   iface.c        interface roles
 *   hosts.c        each tunnel's owner (first in the report)
 *   verdict.c      each event's path, tunnel and host
 *   hosts.c        announced names to their hosts
 *   verdict.c      phase, verdict, category, evidence; host counts
 *                  (host-os.c: the names each host asked, NetBIOS, LLMNR)
 *   hosts.c        host addresses in order
 *   host-os.c      each host's operating system, with its evidence
 *   facts.c        what every writer shows: host order, interface labels
 *   integrity.c    clean, leaks, incomplete or undecided, and why
 *
 * The writers (output-*.c), suggest.c and main.c then only read.
 */
#include "analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autofp.h"
#include "capture.h"
#include "carrier.h"
#include "dpi.h"
#include "flow.h"
#include "nameport.h"
#include "pipeline.h"
#include "resolvers.h"
#include "timeline.h"
#include "verdict.h"

/* Every flow that ends: its TCP stream is flushed (late DNS messages,
 * DoT record counts), and carriers are kept for suggest-tunnel. */
static void flow_ended(struct flow *f, void *user)
{
	struct analysis *a = user;
	/* A flow ended early at the cap loses what it would still have
	 * shown: later messages of a TCP stream being followed, the rest of
	 * a carrier's evidence.  A UDP exchange already gave its questions
	 * (the event store matches answers, not the flow). */
	if (f->evicted && ((f->key.proto == 6 && f->st.follow == FOLLOW_YES && !f->tcp_closed) ||
			   (f->st.cev && !f->st.cev_done)))
		a->flows_evicted_live++;
	wire_flow_ended(a, f);
	carrier_flow_ended(a, f);
}

void an_options_default(struct an_options *o)
{
	memset(o, 0, sizeof(*o));
	o->gap_ms = 0; /* automatic */
	o->parallel_ms = AN_DEFAULT_PARALLEL_MS;
	o->max_events = AN_DEFAULT_MAX_EVENTS;
	o->max_flows = FLOW_DEFAULT_MAX;
	o->max_host_pages = AN_DEFAULT_HOST_PAGES;
	o->max_host_events = AN_DEFAULT_HOST_EVENTS;
}

struct analysis *an_new(const struct an_options *o, const struct rules *rules)
{
	struct analysis *a = xcalloc(1, sizeof(*a));
	struct an_priv *pv = xcalloc(1, sizeof(*pv));
	a->priv = pv;
	if (o)
		a->opt = *o;
	else
		an_options_default(&a->opt);
	a->rules = rules;
	/* A fixed seed keeps runs reproducible; hash order never reaches the
	 * output (everything is sorted), so the seed only spreads buckets. */
	pv->seed = 0x6c65616b73636f70ULL;
	hosts_init(a);
	wire_init(a);
	iface_init(a);
	a->dec = decode_new();
	carrier_index_build(&pv->cix, rules);
	if (rules)
		decode_set_carrier_check(a->dec, carrier_check_hook, a);
	a->flows = flow_new(a->opt.max_flows, pv->seed, flow_ended, a);
	/* -j: the reader follows no flow itself, and a worker (shard > 0)
	 * builds its module in its own thread (autofp.c); the fuzz target
	 * lends one module for every analysis (an_options.dpi) */
	bool own_dpi = a->opt.nshards <= 1 && a->opt.shard == 0;
	a->dpi = !own_dpi ? NULL : a->opt.dpi ? a->opt.dpi : dpi_new();
	if (!a->dpi && own_dpi) {
		fprintf(stderr, "leakscope: cannot initialise nDPI\n");
		exit(2);
	}
	a->ev = ev_new(a->opt.max_events, pv->seed);
	if (a->opt.ev_block || a->opt.ev_window || a->opt.ev_cache)
		ev_set_storage(a->ev, a->opt.ev_block, a->opt.ev_window, a->opt.ev_cache);
	(void)resolver_addr_known(&(struct ls_addr){0}); /* builds its table now, before any thread */
	timeline_init(a);
	if (a->opt.nshards > 1)
		pv->fp = autofp_start(a, a->opt.nshards);
	return a;
}

void an_prepare_reports(struct analysis *a)
{
	if (a->evview)
		return;
	ev_seal(a->ev);
	a->evview = ev_hostview_new(a->ev, a->nhosts);
}

void an_free(struct analysis *a)
{
	if (!a)
		return;
	struct an_priv *pv = a->priv;
	autofp_stop(pv->fp, a); /* an analysis given up on: its workers end too */
	pv->fp = NULL;
	flow_free(a->flows); /* ends its flows: the stages below still there */
	if (a->dpi != a->opt.dpi)
		dpi_free(a->dpi); /* a borrowed one (an_options.dpi) stays */
	decode_free(a->dec);
	ev_hostview_free(a->evview);
	ev_free(a->ev);
	for (size_t i = 0; i < a->nfiles; i++) {
		free(a->files[i].path);
		free(a->files[i].error);
	}
	free(a->files);
	iface_free(a);
	timeline_free(a);
	hostos_free(a); /* before the hosts: it owns their os_evidence */
	hosts_free(a);
	carrier_free(a);
	wire_free(a);
	facts_free(a);
	free(a->priv);
	free(a);
}

/* One address into a running hash (the shard only spreads flows: any
 * fixed mix of the fields will do, and none reaches a report). */
static uint64_t mix_addr(uint64_t h, const struct ls_addr *x)
{
	uint64_t w0, w1;
	memcpy(&w0, x->a, 8);
	memcpy(&w1, x->a + 8, 8);
	h = (h ^ w0 ^ x->af) * 0x9e3779b97f4a7c15ULL;
	h = (h ^ (h >> 29) ^ w1) * 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

/* The hash of a packet's flow, by which -j shards and the duplicate table
 * (resolve-wire.c) picks its set: both directions, and the same packet
 * seen on two interfaces (VLAN tags differ), hash alike, so query/response
 * matching and duplicate suppression stay within one worker. */
uint64_t pipeline_flow_hash(const struct pkt *p)
{
	uint64_t h = 0x5eed;
	/* Multicast name resolution (mDNS, LLMNR, NetBIOS-NS) is answered by
	 * unicast from whoever knows: the query and its answer are different
	 * 5-tuples, matched by the client's side (event.c), so they shard by
	 * the client's address and port alone. */
	const struct nameport *np = nameport_of(p->proto, p->sport, p->dport);
	bool ll = np && np->any_responder; /* UDP only: TCP is one conversation, sharded by its 5-tuple */
	if (ll) {
		/* the client's side exactly as event.c keys the message: the
		 * sender of a query (QR clear), the receiver of a response */
		bool client_is_src = p->payload_len < 3 || !(p->payload[2] & 0x80);
		h = mix_addr(h, client_is_src ? &p->src : &p->dst);
		h = (h ^ ((uint64_t)(client_is_src ? p->sport : p->dport) << 8 | p->proto)) * 0x94d049bb133111ebULL;
		return h ^ (h >> 31);
	}
	/* both directions alike: the smaller end first */
	int c = addr_cmp(&p->src, &p->dst);
	bool sw = c > 0 || (c == 0 && p->sport > p->dport);
	h = mix_addr(h, sw ? &p->dst : &p->src);
	h = mix_addr(h, sw ? &p->src : &p->dst);
	uint64_t ports = sw ? ((uint64_t)p->dport << 16 | p->sport) : ((uint64_t)p->sport << 16 | p->dport);
	h = (h ^ ports << 8 ^ p->proto) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* The worker of a packet's flow: by the duplicate table's set, so that the
 * flows sharing a set share a worker. */
uint32_t pipeline_shard_of(const struct pkt *p, uint32_t n)
{
	return (uint32_t)((pipeline_flow_hash(p) % DUP_SLOTS) % n);
}

/* One decoded packet through the stages.  Returns true when p was a
 * tunnel's carrier (a partial keeps only its headers and first payload
 * bytes: nothing else of it is read). */
static bool process_packet(struct analysis *a, struct pkt *p)
{
	uint32_t iref = iface_packet(a, p);
	hosts_learn_mac(a, p);
	if (a->rules) {
		bool outbound;
		int ti = carrier_declared(a, p, &outbound);
		if (ti >= 0) {
			timeline_carrier(a, ti, p, outbound, iref);
			hosts_carrier_sender(a, p, outbound);
			return true;
		}
		carrier_endpoint_cleartext(a, p);
		timeline_inside(a, p, iref);
	}
	if (p->proto != 17 && p->proto != 6 && p->proto != 50)
		return false;
	if (wire_dhcp(a, p))
		return false;
	/* With -j, the flow's worker takes it from here (autofp.c); what came
	 * before this point (interfaces, tunnel timeline) the reader keeps. */
	struct an_priv *pv = a->priv;
	if (pv->fp)
		autofp_dispatch(pv->fp, p, iref);
	else
		pipeline_flow_packet(a, p, iref);
	return false;
}

/* The flow stages of a packet: in the reader, or in a -j worker. */
void pipeline_flow_packet(struct analysis *a, struct pkt *p, uint32_t iref)
{
	int dir;
	struct flow *f = flow_lookup(a->flows, p, &dir);
	carrier_sniff(f, p, dir);
	if (p->proto == 50)
		return; /* ESP: carrier evidence only */
	/* name resolution first: a DNS flow that parses needs no nDPI */
	wire_udp(a, p, f, iref);
	wire_dpi(a, p, f);
	wire_tcp(a, p, f, dir, iref);
	wire_encrypted(a, p, f, dir, iref);
}

/* ---------------------------------------------------------------------- */
/* Files */

static void file_note_linktype(struct an_file *fi, int lt)
{
	for (int i = 0; i < fi->n_linktypes; i++)
		if (fi->linktypes[i] == lt)
			return;
	if (fi->n_linktypes < (int)(sizeof(fi->linktypes) / sizeof(fi->linktypes[0])))
		fi->linktypes[fi->n_linktypes++] = lt;
}

/* The terminal's progress line: wall-clock time is used here only, never
 * in a report. */
static void progress(const char *path, uint64_t done, uint64_t size, const struct timespec *t0, bool last)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
	double mb = (double)done / 1e6;
	fprintf(stderr, "\r%s: %.0f of %.0f MB (%.0f%%), %.0f MB/s%s", path, mb, (double)size / 1e6,
		size ? 100.0 * (double)done / (double)size : 100.0, secs > 0 ? mb / secs : 0.0, last ? "\n" : "   ");
}

int an_add_file(struct analysis *a, const char *path)
{
	a->files = xrealloc(a->files, (a->nfiles + 1) * sizeof(*a->files));
	uint32_t idx = (uint32_t)a->nfiles++;
	struct an_file *fi = &a->files[idx];
	memset(fi, 0, sizeof(*fi));
	fi->path = xstrdup(path);
	char err[512];
	struct cap_file *cf;
	if (cap_open(path, &cf, err, sizeof(err)) < 0) {
		fi->error = xstrdup(err);
		return -1;
	}
	if (a->opt.partials)
		cap_trust_partial(cf);
	fi->format = cap_format(cf);
	/* -j: reading gets a thread of its own too (capture.c read-ahead) */
	if (a->opt.nshards > 1)
		(void)cap_set_readahead(cf);
	struct partial *pw = NULL;
	if (a->opt.partial_path) {
		pw = partial_open(a->opt.partial_path, cap_origin_path(cf) ? cap_origin_path(cf) : path, fi->format, err,
				  sizeof(err));
		if (!pw) {
			fi->error = xstrdup(err);
			a->partial_failed = true;
			cap_close(cf);
			return -1;
		}
	}
	struct cap_packet cp;
	struct pkt p;
	int r;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t size = cap_size(cf);
	while ((r = cap_next(cf, &cp)) == 1) {
		fi->packets++;
		if (a->opt.progress && a->opt.shard == 0 && (fi->packets & 0xffff) == 0)
			progress(path, cap_tell(cf), size, &t0, false);
		fi->bytes += cp.wirelen;
		a->packets++;
		if (fi->packets == 1 || cp.ts_sec < fi->first_sec ||
		    (cp.ts_sec == fi->first_sec && cp.ts_nsec < fi->first_nsec)) {
			fi->first_sec = cp.ts_sec;
			fi->first_nsec = cp.ts_nsec;
		}
		if (fi->packets == 1 || cp.ts_sec > fi->last_sec ||
		    (cp.ts_sec == fi->last_sec && cp.ts_nsec > fi->last_nsec)) {
			fi->last_sec = cp.ts_sec;
			fi->last_nsec = cp.ts_nsec;
		}
		file_note_linktype(fi, cp.linktype);
		enum decode_status st = decode_packet(a->dec, &cp, idx, &p);
		bool carrier = false;
		if (st == DEC_UNSUPPORTED)
			a->unsupported_link++;
		else if (st == DEC_OK)
			carrier = process_packet(a, &p);
		if (pw) {
			uint32_t keep = cp.caplen;
			if (carrier && p.payload >= cp.data && p.payload <= cp.data + cp.caplen)
				keep = (uint32_t)(p.payload - cp.data) + PARTIAL_CARRIER_KEEP;
			if (partial_write(pw, cf, &cp, keep) < 0)
				a->partial_failed = true;
		}
	}
	if (a->opt.progress && a->opt.shard == 0)
		progress(path, cap_tell(cf), size, &t0, true);
	fi->snapped = cap_snapped(cf);
	if (r < 0) {
		fi->error = xstrdup(cap_error(cf));
		fi->truncated = true;
	} else if (cap_origin_damage(cf)) {
		/* a partial of a damaged capture: the original's story */
		fi->error = xstrdup(cap_origin_damage(cf));
		fi->truncated = true;
		r = -1;
	}
	if (cap_origin_path(cf)) {
		free(fi->path);
		fi->path = xstrdup(cap_origin_path(cf));
		fi->from_partial = true;
	}
	if (pw && partial_close(pw, fi->error) < 0)
		a->partial_failed = true;
	cap_close(cf);
	return r < 0 ? 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* -j workers (autofp.c) */

void an_end_flows(struct analysis *w)
{
	if (!w->flows)
		return;
	w->flows_peak = flow_peak(w->flows);
	w->flows_evicted = flow_evicted(w->flows);
	flow_free(w->flows); /* ends its flows */
	w->flows = NULL;
}

void an_merge_shard(struct analysis *dst, struct analysis *src)
{
	/* Per-flow results: events, flow-level carriers, names from mDNS and
	 * NetBIOS, counters.  Everything per packet (files, interfaces, the
	 * tunnel timeline, DHCP) only the reader dst computed: it keeps it. */
	an_end_flows(src); /* late TCP messages, carriers (a worker has done it already) */
	ev_move(dst->ev, src->ev);
	carrier_merge(dst, src);
	wire_merge(dst, src);
	if (src->flows_peak > dst->flows_peak)
		dst->flows_peak = src->flows_peak;
	dst->flows_evicted += src->flows_evicted;
	dst->flows_evicted_live += src->flows_evicted_live;
}

/* ---------------------------------------------------------------------- */
/* After the last file */

void an_finish(struct analysis *a)
{
	if (a->finished)
		return;
	a->finished = true;
	struct an_priv *pv = a->priv;
	autofp_stop(pv->fp, a); /* -j: the workers' flows end and are merged */
	pv->fp = NULL;
	if (a->flows) {
		uint64_t peak = flow_peak(a->flows);
		if (peak > a->flows_peak)
			a->flows_peak = peak;
		a->flows_evicted += flow_evicted(a->flows);
	}
	flow_free(a->flows);
	a->flows = NULL;
	ev_sort(a->ev);
	timeline_finish(a);
	iface_decide_roles(a);
	hosts_of_tunnels(a);
	verdict_paths(a);
	hosts_attach_labels(a);
	verdict_judge(a);
	hosts_finish(a);
	hostos_finish(a);
	facts_finish(a);
	an_integrity(a, &a->integ);
}
