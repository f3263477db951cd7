/* stream.h - TCP application streams: DNS over TCP, the TLS ClientHello and record counts, DoH over HTTP/1.1 and h2c. */
#ifndef LS_STREAM_H
#define LS_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "dns.h"
#include "event.h"
#include "packet.h"
#include "tcp-reassembly.h"
#include "tls.h"

/* Bytes of a ClientHello looked at: a record is at most 2^14 + 256 and a
 * hello split over records is joined by the TLS parser up to 16 KiB. */
#define STREAM_HELLO_MAX (16384 + 512)
/* Bytes of one HTTP/1.1 message followed per direction (head + DoH body). */
#define STREAM_HTTP_MAX (16384 + 65535 + 64)

/* What the analysis is told.  p is the packet that completed the item (for
 * its frame, time and addresses); dir 0 is from the flow's initiator. */
struct stream_hooks {
	void (*dns)(void *user, const struct pkt *p, int dir, enum ev_proto proto, const struct dns_msg *m,
		    uint32_t anom, uint32_t iref);
	void (*hello)(void *user, const struct pkt *p, const struct tls_hello *h, uint32_t iref);
	void *user;
};

struct stream_ctx {
	struct tcp_ctx tcp;
	struct stream_hooks hooks;
	struct dns_msg *msg;     /* scratch */
	void *scratch;           /* doh_req / doh_resp scratch */
	uint64_t opened, dns_msgs, hellos, doh_msgs, undecodable;
};

struct stream;

void stream_ctx_init(struct stream_ctx *c, const struct stream_hooks *h);
void stream_ctx_free(struct stream_ctx *c);

/*
 * Looks at a TCP flow's first payload (from the initiator, dir 0) and
 * decides whether it is followed: DNS when a port is 53 (or 5355 for
 * LLMNR), TLS when it starts with a handshake record, h2c when it starts
 * with the HTTP/2 preface, HTTP/1.1 when it starts with GET or POST.
 * Returns NULL when not; else a stream to feed every later packet of the
 * flow, including this one.
 */
struct stream *stream_open(struct stream_ctx *c, const struct pkt *p, int dir);
void stream_feed(struct stream_ctx *c, struct stream *s, int dir, const struct pkt *p, uint32_t iref);
/* After the ClientHello: keep counting TLS records each way (DoT: queries
 * are about the client's application-data records); tag is the caller's. */
void stream_count_records(struct stream *s, long tag);
/* True when the stream has nothing more to tell (a TLS hello parsed and no
 * record counting asked for, an HTTP flow that is not DoH). */
bool stream_finished(const struct stream *s);
/* Flushes what is held, frees everything.  *tag and app[2] (application-
 * data records client->server, server->client) when counting was asked. */
void stream_close(struct stream_ctx *c, struct stream *s, long *tag, uint64_t app[2]);

#endif
