/* fuzz_capture.c - fuzz target: pcap (libpcap) and pcapng (pcapng.c) reading, then link/IP/transport decoding of every record. */
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "fuzz.h"

/* Records read per input: enough for fragments and tunnels to meet, small
 * enough that a file of empty records cannot make one input slow. */
#define FUZZ_MAX_RECORDS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ls-fuzz-capture-XXXXXX", err[512];
	struct cap_file *f;
	struct cap_packet cp;
	struct pkt p;
	int fd = mkstemp(path), rc = 0;

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
	if (cap_open(path, &f, err, sizeof(err)) == 0) {
		struct decoder *d = decode_new();
		for (int i = 0; i < FUZZ_MAX_RECORDS && (rc = cap_next(f, &cp)) == 1; i++) {
			fuzz_touch(cp.data, cp.caplen);
			/* offsets are in the decompressed bytes of a compressed file */
			FUZZ_CHECK(cap_compression(f) || (cp.offset < size && cp.caplen <= size));
			if (decode_packet(d, &cp, 0, &p) == DEC_OK) {
				fuzz_touch(p.ip, p.ip_len);
				fuzz_touch(p.payload, p.payload_len);
				FUZZ_CHECK(p.nencap <= LS_MAX_ENCAP);
			}
		}
		if (rc < 0)
			FUZZ_CHECK(strlen(cap_error(f)) > 0);
		for (size_t i = 0; i < cap_iface_count(f); i++) {
			const struct cap_iface *ifc = cap_iface_get(f, i);
			if (ifc->name) /* capture.h: sanitised to printable ASCII */
				FUZZ_CHECK(fuzz_text_ok(ifc->name, strlen(ifc->name) + 1, 0x20, 0x7e));
		}
		decode_free(d);
		cap_close(f);
	} else {
		FUZZ_CHECK(strlen(err) > 0);
	}
	unlink(path);
	return 0;
}
