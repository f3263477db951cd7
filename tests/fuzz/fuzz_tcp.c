/* fuzz_tcp.c - fuzz target: TCP reassembly (RFC 9293 sequence space) feeding DNS-over-TCP framing (RFC 1035 4.2.2, RFC 7766). */
#include <string.h>

#include "dns-tcp.h"
#include "dns.h"
#include "fuzz.h"
#include "tcp-reassembly.h"

/*
 * The input is a script.  Byte 0: bit 0 set lowers the reassembly caps to
 * a few KiB, so that the cap paths are reached.  Then segments, each
 *   1 byte   bit 7 direction, bit 6 cut by snaplen, bits 0..4 FIN SYN RST PSH ACK
 *   4 bytes  sequence number, added to the direction's ISN
 *   4 bytes  acknowledgement number, added to the other direction's ISN
 *   1 byte   payload length, then that many payload bytes (fewer at the end)
 * Direction 0 starts just below 2^32 so its stream wraps around.
 */
struct state {
	struct dnstcp_dir dns[2];
	uint64_t delivered[2];
};

static struct dns_msg msg; /* ~66 KB: not on the stack */

static void on_msg(void *user, const uint8_t *m, size_t len, const struct dnstcp_info *mi)
{
	(void)user;
	FUZZ_CHECK(len >= 1 && len <= DNSTCP_MSG_MAX && mi->pkt != NULL);
	fuzz_touch(m, len);
	(void)dns_parse(m, len, &msg);
}

static void on_data(void *user, int dir, const uint8_t *data, size_t len, const struct tcp_src *src)
{
	struct state *s = user;
	FUZZ_CHECK((dir == 0 || dir == 1) && len > 0 && src->pkt != NULL);
	fuzz_touch(data, len);
	s->delivered[dir] += len;
	dnstcp_feed(&s->dns[dir], data, len, src, on_msg, NULL);
}

static void on_gap(void *user, int dir, uint32_t lost)
{
	struct state *s = user;
	FUZZ_CHECK(dir == 0 || dir == 1);
	dnstcp_gap(&s->dns[dir], lost);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t isn[2] = {0xfffffff0u, 0x00010000u};
	struct state s;
	struct tcp_ctx ctx;
	struct tcp_conn conn;
	struct tcp_sink sink = {on_data, on_gap, &s};
	struct cap_packet cp;
	struct pkt p;
	size_t off = 1;

	if (size == 0)
		return 0;
	memset(&s, 0, sizeof(s));
	dnstcp_init(&s.dns[0]);
	dnstcp_init(&s.dns[1]);
	tcp_ctx_init(&ctx);
	if (data[0] & 1) {
		ctx.memcap = 6000;
		ctx.dir_cap = 4000;
		ctx.max_segs = 8;
	}
	tcp_conn_init(&conn);
	memset(&cp, 0, sizeof(cp));
	while (size - off >= 10) {
		const uint8_t *h = data + off;
		int dir = h[0] >> 7;
		size_t len = h[9];
		off += 10;
		if (len > size - off)
			len = size - off;
		memset(&p, 0, sizeof(p));
		cp.frame++;
		cp.ts_sec = (int64_t)cp.frame;
		p.cp = &cp;
		p.tcp_flags = h[0] & 0x1f;
		p.truncated = (h[0] & 0x40) != 0;
		p.seq = isn[dir] + rd32(h + 1);
		p.ack = isn[!dir] + rd32(h + 5);
		p.payload = len ? data + off : NULL;
		p.payload_len = (uint32_t)len;
		FUZZ_CHECK(tcp_feed(&ctx, &conn, dir, &p, &sink) == 0);
		off += len;
	}
	tcp_conn_flush(&ctx, &conn, &sink);
	for (int d = 0; d < 2; d++) {
		FUZZ_CHECK(conn.d[d].head == NULL && conn.d[d].held_bytes == 0);
		FUZZ_CHECK(s.delivered[d] == conn.d[d].delivered);
		dnstcp_flush(&s.dns[d]);
		dnstcp_free(&s.dns[d]);
	}
	tcp_conn_free(&ctx, &conn);
	FUZZ_CHECK(ctx.mem_used == 0 && ctx.st.mem_peak <= ctx.memcap);
	return 0;
}
