/* bareloop.c - the floor for `make bench`: a bare libpcap read loop that only counts packets and bytes. */

/*
 * usage: bareloop [--default] CAPTURE
 *
 * Reads every record with pcap_next_ex() and prints
 *     packets N caplen_bytes C wire_bytes W
 * Nothing an analyzer does can be faster than this loop on the same file,
 * so `make bench` states every tool's time as a ratio to it.
 *
 * By default the file is opened with fopen() and given a 1 MiB stdio buffer
 * before pcap_fopen_offline(): libpcap reads each record with two fread()
 * calls, and with the default buffer (st_blksize, 4 KiB here) that is a
 * read() system call per few packets.  --default uses plain
 * pcap_open_offline() to show what the buffer is worth.
 *
 * Exit status: 0 read to the end, 1 the file could not be opened or is
 * damaged (libpcap's message on stderr), 2 usage.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#define BIGBUF (1u << 20)

/* Our own buffer: glibc ignores setvbuf's size when the buffer is NULL and
 * allocates st_blksize bytes anyway. */
static char iobuf[BIGBUF];

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	bool dflt = argc == 3 && strcmp(argv[1], "--default") == 0;
	const char *path;
	pcap_t *p;
	FILE *f = NULL;

	if (argc == 2 && argv[1][0] != '-') {
		path = argv[1];
	} else if (dflt) {
		path = argv[2];
	} else {
		fputs("usage: bareloop [--default] CAPTURE\n", stderr);
		return 2;
	}

	if (dflt) {
		p = pcap_open_offline(path, errbuf);
	} else {
		f = fopen(path, "rb");
		if (f == NULL) {
			perror(path);
			return 1;
		}
		/* Must come before the first read, i.e. before libpcap sees f. */
		if (setvbuf(f, iobuf, _IOFBF, sizeof iobuf) != 0) {
			fprintf(stderr, "%s: setvbuf failed\n", path);
			fclose(f);
			return 1;
		}
		p = pcap_fopen_offline(f, errbuf); /* owns f from here on */
		if (p == NULL)
			fclose(f);
	}
	if (p == NULL) {
		fprintf(stderr, "%s: %s\n", path, errbuf);
		return 1;
	}

	uint64_t packets = 0, caplen = 0, wire = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	for (;;) {
		rc = pcap_next_ex(p, &h, &data);
		if (rc != 1)
			break;
		packets++;
		caplen += h->caplen;
		wire += h->len;
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "%s: after %" PRIu64 " packets: %s\n", path, packets, pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p); /* closes f too */
	printf("packets %" PRIu64 " caplen_bytes %" PRIu64 " wire_bytes %" PRIu64 "\n", packets, caplen,
	       wire);
	return 0;
}
