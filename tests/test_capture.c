/* test_capture.c - pcap and pcapng reading: formats, byte orders, timestamps, sections, damage. */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capbuild.h"
#include "capture.h"
#include "testtop.h"

/* Each Criterion test runs in its own process: one temp file each. */
static char tmp[512];

static const char *tmpfile_(const char *suffix)
{
	cr_assert_eq(cb_tmpname(tmp, sizeof(tmp), suffix), 0);
	return tmp;
}

static void done(void)
{
	if (tmp[0])
		unlink(tmp);
}

/* done() also runs after a failed assertion, so no temp file is left. */
TestSuite(capture, .fini = done);

/* 60 bytes of recognisable data, different per record. */
static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static struct cap_file *open_ok(const char *path)
{
	struct cap_file *f = NULL;
	char err[512];
	int rc = cap_open(path, &f, err, sizeof(err));
	cr_assert_eq(rc, 0, "cap_open failed: %s", err);
	return f;
}

/* Opens path expecting failure; returns the message. */
static const char *open_err(const char *path)
{
	static char err[512];
	struct cap_file *f = NULL;
	err[0] = '\0';
	cr_assert_eq(cap_open(path, &f, err, sizeof(err)), -1);
	cr_assert_null(f);
	return err;
}

/* ---------------------------------------------------------------------- */

Test(capture, linktype_names)
{
	cr_assert_str_eq(cap_linktype_name(1), "EN10MB");
	cr_assert_str_eq(cap_linktype_name(113), "LINUX_SLL");
	cr_assert_str_eq(cap_linktype_name(276), "LINUX_SLL2");
	cr_assert_str_eq(cap_linktype_name(239), "NFLOG");
	cr_assert_str_eq(cap_linktype_name(105), "IEEE802_11");
	cr_assert_str_eq(cap_linktype_name(12345), "unknown");
	static const int ok[] = {0, 1, 9, 12, 50, 101, 108, 113, 228, 229, 239, 276};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(cap_linktype_supported(ok[i]), "%d", ok[i]);
	cr_assert_not(cap_linktype_supported(105));
	cr_assert_not(cap_linktype_supported(10));
	cr_assert_not(cap_linktype_supported(127));
	cr_assert_not(cap_linktype_supported(-1));
}

/* Writes 3 records of 60, 61, 62 bytes, ts 1700000000 + i, .123456789. */
static void write_three(const char *path, int lt, unsigned flags)
{
	uint8_t d[64];
	struct cb_pcap *w = cb_pcap_open(path, lt, 65535, flags);
	cr_assert_not_null(w);
	for (int i = 0; i < 3; i++) {
		fill(d, sizeof(d), (uint8_t)(i * 16));
		cr_assert_eq(cb_pcap_write(w, 1700000000 + i, 123456789, d, (uint32_t)(60 + i),
					   (uint32_t)(60 + i)),
			     0);
	}
	cr_assert_eq(cb_pcap_close(w), 0);
}

/* Records sit at 24, 24+16+60 = 100, 100+16+61 = 177; file 177+16+62 = 255. */
static void check_three(const char *path, int lt, uint32_t want_nsec)
{
	struct cap_file *f = open_ok(path);
	struct cap_packet p;
	uint8_t d[64];
	static const uint64_t off[3] = {24, 100, 177};
	cr_assert_str_eq(cap_format(f), "pcap");
	cr_assert_eq(cap_iface_count(f), 1);
	cr_assert_eq(cap_iface_get(f, 0)->linktype, lt);
	cr_assert_eq(cap_iface_get(f, 0)->snaplen, 65535);
	cr_assert_null(cap_iface_get(f, 0)->name);
	cr_assert_null(cap_iface_get(f, 1));
	cr_assert_eq(cap_size(f), 255);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cap_next(f, &p), 1);
		fill(d, sizeof(d), (uint8_t)(i * 16));
		cr_assert_eq(p.frame, (uint64_t)i + 1);
		cr_assert_eq(p.offset, off[i]);
		cr_assert_eq(p.ts_sec, 1700000000 + i);
		cr_assert_eq(p.ts_nsec, want_nsec);
		cr_assert_eq(p.linktype, lt);
		cr_assert_eq(p.iface, 0);
		cr_assert_not(p.has_iface);
		cr_assert_null(p.iface_name);
		cr_assert_eq(p.caplen, 60u + (unsigned)i);
		cr_assert_eq(p.wirelen, 60u + (unsigned)i);
		cr_assert_eq(memcmp(p.data, d, p.caplen), 0);
	}
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_tell(f), 255);
	cr_assert_eq(cap_snapped(f), 0);
	cap_close(f);
}

Test(capture, pcap_micro_little_endian)
{
	write_three(tmpfile_(".pcap"), 1, 0);
	check_three(tmp, 1, 123456000); /* microseconds: the last 3 digits are lost */
	done();
}

Test(capture, pcap_micro_big_endian)
{
	write_three(tmpfile_(".pcap"), 113, CB_BE);
	check_three(tmp, 113, 123456000);
	done();
}

Test(capture, pcap_nano_little_endian)
{
	write_three(tmpfile_(".pcap"), 101, CB_NANO);
	check_three(tmp, 101, 123456789);
	done();
}

Test(capture, pcap_nano_big_endian)
{
	write_three(tmpfile_(".pcap"), 276, CB_NANO | CB_BE);
	check_three(tmp, 276, 123456789);
	done();
}

Test(capture, pcap_snapped_records_counted)
{
	uint8_t d[100];
	fill(d, sizeof(d), 0);
	struct cb_pcap *w = cb_pcap_open(tmpfile_(".pcap"), 1, 40, 0);
	cb_pcap_write(w, 1, 0, d, 40, 100);
	cb_pcap_write(w, 2, 0, d, 30, 30);
	cb_pcap_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.caplen, 40);
	cr_assert_eq(p.wirelen, 100);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_snapped(f), 1);
	cr_assert_eq(cap_over_snaplen(f), 0);
	cap_close(f);
	done();
}

/* A record longer than the header's snaplen (but under 256 KiB): libpcap,
 * like tcpdump, reads it and keeps snaplen bytes. */
Test(capture, pcap_caplen_over_snaplen_is_cut_and_counted)
{
	uint8_t d[100];
	fill(d, sizeof(d), 7);
	struct cb_pcap *w = cb_pcap_open(tmpfile_(".pcap"), 1, 64, 0);
	cb_pcap_write(w, 1, 0, d, 100, 100);
	cb_pcap_write(w, 2, 0, d, 50, 50);
	cb_pcap_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.caplen, 64);
	cr_assert_eq(p.wirelen, 100);
	cr_assert_eq(memcmp(p.data, d, 64), 0);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.offset, 24 + 16 + 100);
	cr_assert_eq(p.caplen, 50);
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_over_snaplen(f), 1);
	cap_close(f);
	done();
}

Test(capture, pcap_caplen_over_256k_is_damage)
{
	uint8_t d[60];
	fill(d, sizeof(d), 0);
	uint8_t *big = calloc(1, 300000);
	struct cb_pcap *w = cb_pcap_open(tmpfile_(".pcap"), 1, 65535, 0);
	cb_pcap_write(w, 1, 0, d, 60, 60);
	cb_pcap_write(w, 2, 0, big, 300000, 300000);
	cb_pcap_close(w);
	free(big);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), -1);
	char want[1200];
	snprintf(want, sizeof(want), "%s: damaged record at byte 100 (packet 2): invalid packet capture length 300000", tmp);
	cr_assert(strncmp(cap_error(f), want, strlen(want)) == 0, "got: %s", cap_error(f));
	cr_assert_eq(cap_next(f, &p), -1); /* stays failed */
	cap_close(f);
	done();
}

Test(capture, pcap_truncated_last_record)
{
	write_three(tmpfile_(".pcap"), 1, 0);
	cr_assert_eq(cb_truncate(tmp, 255 - 10), 0);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 2);
	cr_assert_eq(cap_next(f, &p), -1);
	char want[1200];
	/* record 3 at byte 177: 16-byte header present, 52 of 62 data bytes */
	snprintf(want, sizeof(want),
		 "%s: truncated record at byte 177 (packet 3): truncated dump file; tried to read 62 captured bytes, only got 52",
		 tmp);
	cr_assert_str_eq(cap_error(f), want);
	cr_assert_eq(cap_next(f, &p), -1);
	cap_close(f);
	done();
}

Test(capture, pcap_truncated_record_header)
{
	write_three(tmpfile_(".pcap"), 1, 0);
	cr_assert_eq(cb_truncate(tmp, 177 + 5), 0);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), -1);
	cr_assert(strstr(cap_error(f), "truncated record at byte 177 (packet 3)"), "got: %s", cap_error(f));
	cr_assert(strstr(cap_error(f), "only got 5"), "got: %s", cap_error(f));
	cap_close(f);
	done();
}

Test(capture, open_errors)
{
	char want[1200];
	tmpfile_(".pcap");

	cb_write_file(tmp, "", 0);
	snprintf(want, sizeof(want), "%s: empty file (0 bytes), not a capture", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	cb_write_file(tmp, "\xd4\xc3\xb2", 3);
	snprintf(want, sizeof(want), "%s: truncated file header (3 bytes), not a capture", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	cb_write_file(tmp, "this is not a capture!!", 23);
	snprintf(want, sizeof(want), "%s: not a pcap or pcapng file (magic 74 68 69 73)", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	/* a pcap file header cut at 20 of 24 bytes */
	static const uint8_t hdr20[20] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	cb_write_file(tmp, hdr20, sizeof(hdr20));
	snprintf(want, sizeof(want), "%s: truncated pcap file header (20 of 24 bytes)", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	/* pcapng magic and nothing else */
	cb_write_file(tmp, "\x0a\x0d\x0d\x0a", 4);
	snprintf(want, sizeof(want), "%s: truncated block header at byte 0: file ends after 4 of 8 bytes", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	struct cb_pcap *w = cb_pcap_open(tmp, 105, 65535, 0);
	cb_pcap_close(w);
	snprintf(want, sizeof(want), "%s: link type 105 (IEEE802_11) is not supported", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	w = cb_pcap_open(tmp, 10, 65535, CB_BE);
	cb_pcap_close(w);
	snprintf(want, sizeof(want), "%s: link type 10 (FDDI) is not supported", tmp);
	cr_assert_str_eq(open_err(tmp), want);

	done();
	snprintf(want, sizeof(want), "%s: No such file or directory", tmp);
	cr_assert_str_eq(open_err(tmp), want);
	cr_assert(strstr(open_err("/"), "is a directory"));
}

/* ---------------------------------------------------------------------- */
/* pcapng */

/*
 * SHB 28 bytes.  IDB 0 (EN10MB, "eth0", "uplink", default microseconds):
 * 12 + 8 + (4+4) + (4+8) + 4 = 44.  IDB 1 (RAW, "wg0", tsresol 9):
 * 12 + 8 + (4+4) + (4+4) + 4 = 40.  The first EPB is at 28+44+40 = 112,
 * each EPB with 60 data bytes is 12 + 20 + 60 = 92 long.
 */
static void write_two_idbs(const char *path, unsigned flags)
{
	uint8_t d[64];
	struct cb_png *w = cb_png_open(path, flags);
	cr_assert_not_null(w);
	struct cb_idb_opt eth = {.name = "eth0", .desc = "uplink"};
	struct cb_idb_opt wg = {.name = "wg0", .has_tsresol = true, .tsresol = 9};
	cr_assert_eq(cb_png_idb(w, 1, 262144, &eth), 0);
	cr_assert_eq(cb_png_idb(w, 101, 1500, &wg), 1);
	cr_assert_eq(cb_png_tell(w), 112);
	for (int i = 0; i < 3; i++) {
		fill(d, sizeof(d), (uint8_t)i);
		cb_png_epb(w, i == 1 ? 0 : 1, 1700000000 + i, 123456789, d, 60, 60 + (uint32_t)i);
	}
	cb_png_close(w);
}

static void check_two_idbs(const char *path)
{
	struct cap_file *f = open_ok(path);
	struct cap_packet p;
	uint8_t d[64];
	cr_assert_str_eq(cap_format(f), "pcapng");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(cap_next(f, &p), 1);
		fill(d, sizeof(d), (uint8_t)i);
		cr_assert_eq(p.frame, (uint64_t)i + 1);
		cr_assert_eq(p.offset, 112 + 92 * (uint64_t)i);
		cr_assert(p.has_iface);
		cr_assert_eq(p.ts_sec, 1700000000 + i);
		cr_assert_eq(p.caplen, 60);
		cr_assert_eq(p.wirelen, 60u + (unsigned)i);
		cr_assert_eq(memcmp(p.data, d, 60), 0);
		if (i == 1) {
			cr_assert_eq(p.iface, 0);
			cr_assert_eq(p.linktype, 1);
			cr_assert_str_eq(p.iface_name, "eth0");
			cr_assert_eq(p.ts_nsec, 123456000); /* microsecond interface */
		} else {
			cr_assert_eq(p.iface, 1);
			cr_assert_eq(p.linktype, 101);
			cr_assert_str_eq(p.iface_name, "wg0");
			cr_assert_eq(p.ts_nsec, 123456789);
		}
	}
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_iface_count(f), 2);
	const struct cap_iface *i0 = cap_iface_get(f, 0), *i1 = cap_iface_get(f, 1);
	cr_assert_str_eq(i0->name, "eth0");
	cr_assert_str_eq(i0->desc, "uplink");
	cr_assert_eq(i0->snaplen, 262144);
	cr_assert_eq(i1->linktype, 101);
	cr_assert_eq(i1->snaplen, 1500);
	cr_assert_null(i1->desc);
	cr_assert_null(cap_iface_get(f, 2));
	cr_assert_eq(cap_snapped(f), 2); /* records 2 and 3: 60 of 61, 60 of 62 */
	cr_assert_eq(cap_tell(f), 112 + 3 * 92);
	cr_assert_eq(cap_tell(f), cap_size(f));
	cap_close(f);
}

Test(capture, pcapng_two_interfaces_little_endian)
{
	write_two_idbs(tmpfile_(".pcapng"), 0);
	check_two_idbs(tmp);
	done();
}

Test(capture, pcapng_two_interfaces_big_endian)
{
	write_two_idbs(tmpfile_(".pcapng"), CB_BE);
	check_two_idbs(tmp);
	done();
}

/* if_tsresol in both forms, and if_tsoffset. */
Test(capture, pcapng_timestamp_resolutions)
{
	uint8_t d[20] = {0};
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	struct cb_idb_opt ms = {.has_tsresol = true, .tsresol = 3};
	struct cb_idb_opt p2 = {.has_tsresol = true, .tsresol = 0x80 | 10, .has_tsoffset = true, .tsoffset = 3600};
	struct cb_idb_opt ps = {.has_tsresol = true, .tsresol = 12}; /* picoseconds */
	cb_png_idb(w, 1, 0, &ms);
	cb_png_idb(w, 1, 0, &p2);
	cb_png_idb(w, 1, 0, &ps);
	cb_png_epb_raw(w, 0, UINT64_C(1700000000123), 20, 20, d, 20);
	/* 1700000000 s + 512/1024 s, then +3600 s of offset */
	cb_png_epb_raw(w, 1, (UINT64_C(1700000000) << 10) + 512, 20, 20, d, 20);
	/* 1 s + 999999999999 ps: nanoseconds keep 999999999 */
	cb_png_epb_raw(w, 2, UINT64_C(1999999999999), 20, 20, d, 20);
	cb_png_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.ts_sec, 1700000000);
	cr_assert_eq(p.ts_nsec, 123000000);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.ts_sec, 1700003600);
	cr_assert_eq(p.ts_nsec, 500000000);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.ts_sec, 1);
	cr_assert_eq(p.ts_nsec, 999999999);
	cap_close(f);
	done();
}

/* A second SHB starts a new section: interface ids restart, and the new
 * section may use the other byte order.  cap_packet.iface counts the IDBs of
 * all sections. */
Test(capture, pcapng_multiple_sections)
{
	uint8_t d[40];
	fill(d, sizeof(d), 1);
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	struct cb_idb_opt a = {.name = "a"}, b = {.name = "b"}, c = {.name = "c"};
	cb_png_idb(w, 1, 0, &a);
	cb_png_epb(w, 0, 10, 0, d, 40, 40);
	cb_png_shb_ex(w, CB_BE);
	cb_png_idb(w, 101, 0, &b);
	cb_png_idb(w, 1, 0, &c);
	cb_png_epb(w, 1, 20, 0, d, 40, 40);
	cb_png_epb(w, 0, 30, 0, d, 40, 40);
	cb_png_shb_ex(w, 0);
	cb_png_idb(w, 228, 0, NULL);
	cb_png_epb(w, 0, 40, 0, d, 40, 40);
	cb_png_close(w);

	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.iface, 0);
	cr_assert_str_eq(p.iface_name, "a");
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 2);
	cr_assert_eq(p.iface, 2);
	cr_assert_str_eq(p.iface_name, "c");
	cr_assert_eq(p.linktype, 1);
	cr_assert_eq(p.ts_sec, 20);
	cr_assert_eq(memcmp(p.data, d, 40), 0);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.iface, 1);
	cr_assert_str_eq(p.iface_name, "b");
	cr_assert_eq(p.linktype, 101);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 4);
	cr_assert_eq(p.iface, 3);
	cr_assert_null(p.iface_name);
	cr_assert_eq(p.linktype, 228);
	cr_assert_eq(p.ts_sec, 40);
	cr_assert_eq(cap_next(f, &p), 0);
	cr_assert_eq(cap_iface_count(f), 4);
	cap_close(f);
	done();
}

/* SPB and the obsolete PB are packets (numbered like EPBs); NRB, ISB, DSB,
 * custom and unknown blocks are skipped. */
Test(capture, pcapng_spb_pb_and_skipped_blocks)
{
	uint8_t d[60], body[32];
	fill(d, sizeof(d), 3);
	memset(body, 0xee, sizeof(body));
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	cb_png_idb(w, 1, 40, NULL); /* snaplen 40 */
	cb_png_block(w, 4, body, 12);           /* NRB */
	cb_png_spb(w, d, 60, 60);               /* block holds 60, snaplen says 40 */
	cb_png_block(w, 5, body, 20);           /* ISB */
	cb_png_block(w, 0x0A, body, 16);        /* DSB */
	cb_png_block(w, 0x00000BAD, body, 9);   /* custom */
	cb_png_block(w, 0x12345678, body, 0);   /* unknown */
	cb_png_pb(w, 0, 5, 250000000, d, 33, 50);
	cb_png_epb(w, 0, 6, 0, d, 20, 20);
	cb_png_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 1);
	cr_assert_eq(p.caplen, 40);
	cr_assert_eq(p.wirelen, 60);
	cr_assert_eq(p.ts_sec, 0);
	cr_assert_eq(p.iface, 0);
	cr_assert_eq(memcmp(p.data, d, 40), 0);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 2);
	cr_assert_eq(p.caplen, 33);
	cr_assert_eq(p.wirelen, 50);
	cr_assert_eq(p.ts_sec, 5);
	cr_assert_eq(p.ts_nsec, 250000000);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 3);
	cr_assert_eq(p.ts_sec, 6);
	cr_assert_eq(cap_next(f, &p), 0);
	cap_close(f);
	done();
}

Test(capture, pcapng_interface_name_sanitised)
{
	char name[101];
	memset(name, 'x', 100);
	name[100] = '\0';
	name[0] = '\x01';
	name[1] = '\x7f';
	name[2] = '\xc3';
	uint8_t d[20] = {0};
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	struct cb_idb_opt o = {.name = name, .desc = "tab\there"};
	cb_png_idb(w, 1, 0, &o);
	cb_png_epb(w, 0, 1, 0, d, 20, 20);
	cb_png_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(strlen(p.iface_name), 64);
	cr_assert_eq(strncmp(p.iface_name, "???xxx", 6), 0);
	cr_assert_str_eq(cap_iface_get(f, 0)->desc, "tab?here");
	cap_close(f);
	done();
}

/* Builds: SHB, IDB(EN10MB), one good EPB (60 bytes, at 48, 92 long), then
 * calls bad() to add damage at byte 140; then expects one packet and -1
 * with `want` in the message. */
static void damaged(void (*bad)(struct cb_png *), const char *want)
{
	uint8_t d[60];
	fill(d, sizeof(d), 9);
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	cb_png_idb(w, 1, 0, NULL);
	cb_png_epb(w, 0, 1, 0, d, 60, 60);
	cr_assert_eq(cb_png_tell(w), 140);
	bad(w);
	cb_png_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.offset, 48);
	cr_assert_eq(cap_next(f, &p), -1);
	cr_assert(strstr(cap_error(f), want), "got: %s\nwant: %s", cap_error(f), want);
	cr_assert_eq(strncmp(cap_error(f), tmp, strlen(tmp)), 0);
	cr_assert_eq(cap_next(f, &p), -1);
	cap_close(f);
	done();
}

static uint8_t body60[80];

static void bad_trailer(struct cb_png *w)
{
	cb_png_block_raw(w, 6, body60, 80, 92, 96);
}
static void bad_lead_longer(struct cb_png *w)
{
	/* says 96, is 92 long: the next block's first word is read as trailer */
	cb_png_block_raw(w, 6, body60, 80, 96, 92);
	cb_png_block(w, 4, body60, 8);
}
static void bad_not_mult4(struct cb_png *w)
{
	cb_png_block_raw(w, 6, body60, 80, 93, 93);
}
static void bad_too_small(struct cb_png *w)
{
	cb_png_block_raw(w, 6, body60, 0, 8, 8);
}
static void bad_huge(struct cb_png *w)
{
	cb_png_block_raw(w, 6, body60, 80, 0x7ffffff0, 92);
}
static void bad_iface(struct cb_png *w)
{
	cb_png_epb(w, 3, 1, 0, body60, 60, 60);
}
static void bad_caplen(struct cb_png *w)
{
	cb_png_epb_raw(w, 0, 0, 1000, 1000, body60, 60);
}
static void bad_short_epb(struct cb_png *w)
{
	cb_png_block(w, 6, body60, 8);
}
static void bad_bom(struct cb_png *w)
{
	uint8_t b[16] = {0x11, 0x22, 0x33, 0x44, 1, 0, 0, 0};
	cb_png_block(w, 0x0A0D0D0A, b, 16);
}
static void bad_version(struct cb_png *w)
{
	uint8_t b[16] = {0x4D, 0x3C, 0x2B, 0x1A, 2, 0, 0, 0};
	cb_png_block(w, 0x0A0D0D0A, b, 16);
}
static void bad_option(struct cb_png *w)
{
	/* IDB: linktype 1, snaplen 0, option 2 claiming 200 bytes */
	uint8_t b[16] = {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 200, 0, 'e', 't', 'h', '0'};
	cb_png_block(w, 1, b, 16);
}

Test(capture, pcapng_damage_trailing_length)
{
	damaged(bad_trailer, "block at byte 140 (type 0x6): trailing length 96 differs from leading length 92");
}
Test(capture, pcapng_damage_lying_leading_length)
{
	damaged(bad_lead_longer, "block at byte 140 (type 0x6): trailing length 4 differs from leading length 96");
}
Test(capture, pcapng_damage_length_not_multiple_of_4)
{
	damaged(bad_not_mult4, "block at byte 140 (type 0x6): total length 93 is not a multiple of 4");
}
Test(capture, pcapng_damage_length_too_small)
{
	damaged(bad_too_small, "block at byte 140 (type 0x6): total length 8 is too small");
}
Test(capture, pcapng_damage_length_over_cap)
{
	damaged(bad_huge, "block at byte 140 (type 0x6): total length 2147483632 exceeds the 16777216-byte limit");
}
Test(capture, pcapng_damage_unknown_interface)
{
	damaged(bad_iface, "block at byte 140 (type 0x6, packet 2): interface 3 does not exist (the section declares 1)");
}
Test(capture, pcapng_damage_caplen_over_block)
{
	damaged(bad_caplen, "packet block at byte 140 (packet 2): captured length 1000 exceeds the 60 bytes the block holds");
}
Test(capture, pcapng_damage_epb_too_short)
{
	damaged(bad_short_epb, "packet block at byte 140 (type 0x6, packet 2): too short (20 bytes)");
}
Test(capture, pcapng_damage_block_header_cut)
{
	uint8_t d[60] = {0};
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	cb_png_idb(w, 1, 0, NULL);
	cb_png_epb(w, 0, 1, 0, d, 60, 60);
	cb_png_close(w);
	/* 5 bytes of a block header, then the end of the file */
	FILE *fp = fopen(tmp, "ab");
	fwrite("\x06\x00\x00\x00\x40", 1, 5, fp);
	fclose(fp);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), -1);
	cr_assert(strstr(cap_error(f), "truncated block header at byte 140: file ends after 5 of 8 bytes"),
		  "got: %s", cap_error(f));
	cap_close(f);
	done();
}
Test(capture, pcapng_damage_truncated_block)
{
	uint8_t d[60] = {0};
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	cb_png_idb(w, 1, 0, NULL);
	cb_png_epb(w, 0, 1, 0, d, 60, 60);
	cb_png_epb(w, 0, 2, 0, d, 60, 60);
	cb_png_close(w);
	cr_assert_eq(cb_truncate(tmp, 140 + 50), 0);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), -1);
	cr_assert(strstr(cap_error(f), "truncated block at byte 140 (type 0x6, packet 2): file ends after 50 of 92 bytes"),
		  "got: %s", cap_error(f));
	cap_close(f);
	done();
}
Test(capture, pcapng_damage_bad_byte_order_magic)
{
	damaged(bad_bom, "section header at byte 140: bad byte-order magic 11223344");
}
Test(capture, pcapng_damage_unsupported_version)
{
	damaged(bad_version, "section header at byte 140: unsupported pcapng version 2.0");
}
Test(capture, pcapng_damage_option_overrun)
{
	damaged(bad_option, "interface block at byte 140: option 2 length 200 runs past the block");
}

/* A packet before any IDB refers to an interface that does not exist. */
Test(capture, pcapng_packet_before_any_interface)
{
	uint8_t d[20] = {0};
	struct cb_png *w = cb_png_open(tmpfile_(".pcapng"), 0);
	cb_png_spb(w, d, 20, 20);
	cb_png_close(w);
	struct cap_file *f = open_ok(tmp);
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), -1);
	cr_assert(strstr(cap_error(f), "block at byte 28 (type 0x3, packet 1): interface 0 does not exist (the section declares 0)"),
		  "got: %s", cap_error(f));
	cap_close(f);
	done();
}

/* ---------------------------------------------------------------------- */
/* Public captures, cross-checked with tshark 4.0 (frame.interface_id,
 * frame.interface_name, frame.time_epoch, frame.cap_len). */

static const char *corpus_dir(void)
{
	return ls_test_corpus();
}

static struct cap_file *open_corpus(const char *rel)
{
	char path[4096 + 1024];
	snprintf(path, sizeof(path), "%s/%s", corpus_dir(), rel);
	TEST_NEED_FILE(path);
	return open_ok(path);
}

Test(capture, corpus_pcapng_multi_interface)
{
	struct cap_file *f = open_corpus("zeek/Traces/pcapng-multi-interface.pcapng");
	struct cap_packet p;
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.iface, 0);
	cr_assert_str_eq(p.iface_name, "eth0");
	cr_assert_eq(p.ts_sec, 1767663089);
	cr_assert_eq(p.ts_nsec, 500330493);
	cr_assert_eq(p.caplen, 96);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(cap_next(f, &p), 1);
	cr_assert_eq(p.frame, 3);
	cr_assert_eq(p.iface, 1);
	cr_assert_str_eq(p.iface_name, "\\Device\\NPF_{5AE6EDB4-EFF9-46B3-A3C2-EE50C688A9E6}");
	cr_assert_eq(p.ts_sec, 1767663437);
	cr_assert_eq(p.ts_nsec, 111897000);
	cr_assert_eq(p.caplen, 70);
	cap_close(f);
}

Test(capture, corpus_pcapng_many_interfaces)
{
	struct cap_file *f = open_corpus("pcapplusplus/Pcap++Test/PcapExamples/many_interfaces-1.pcapng");
	struct cap_packet p;
	uint64_t n = 0, on_lo0 = 0;
	int rc;
	while ((rc = cap_next(f, &p)) == 1) {
		n++;
		if (p.frame == 3) {
			cr_assert_eq(p.iface, 10);
			cr_assert_str_eq(p.iface_name, "lo0");
			cr_assert_eq(p.linktype, 0);
			cr_assert_eq(p.ts_sec, 1439753725);
			cr_assert_eq(p.ts_nsec, 701568000);
			cr_assert_eq(p.caplen, 168);
		}
		if (p.iface == 10)
			on_lo0++;
	}
	cr_assert_eq(rc, 0);
	cr_assert_eq(n, 64);
	cr_assert_eq(on_lo0, 2);
	cr_assert_eq(cap_iface_count(f), 11);
	cap_close(f);
}

/* ---------------------------------------------------------------------- */
/* Random damage to whole files: every outcome is a clean 0 or -1, with a
 * message naming the file, and never a read outside the data (ASan). */

static uint32_t rng = 88172645u;
static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void mutate_and_read(const char *path, size_t rounds)
{
	long size = cb_file_size(path);
	cr_assert_gt(size, 0);
	uint8_t *orig = malloc((size_t)size), *b = malloc((size_t)size);
	FILE *fp = fopen(path, "rb");
	cr_assert_eq(fread(orig, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	for (size_t r = 0; r < rounds; r++) {
		memcpy(b, orig, (size_t)size);
		int flips = 1 + (int)(xorshift() % 6);
		for (int k = 0; k < flips; k++)
			b[xorshift() % (uint32_t)size] = (uint8_t)xorshift();
		size_t n = (size_t)size - (xorshift() % 4 == 0 ? xorshift() % (uint32_t)size : 0);
		cb_write_file(path, b, n);
		struct cap_file *f = NULL;
		char err[512];
		if (cap_open(path, &f, err, sizeof(err)) < 0) {
			cr_assert(strncmp(err, path, strlen(path)) == 0, "%s", err);
			continue;
		}
		struct cap_packet p;
		int rc;
		while ((rc = cap_next(f, &p)) == 1)
			cr_assert_leq(p.offset + p.caplen, n);
		cr_assert(rc == 0 || strncmp(cap_error(f), path, strlen(path)) == 0);
		cap_close(f);
	}
	free(orig);
	free(b);
}

Test(capture, random_damage_pcapng)
{
	write_two_idbs(tmpfile_(".pcapng"), 0);
	mutate_and_read(tmp, 1500);
	write_two_idbs(tmp, CB_BE);
	mutate_and_read(tmp, 1500);
	done();
}

Test(capture, random_damage_pcap)
{
	write_three(tmpfile_(".pcap"), 1, CB_NANO);
	mutate_and_read(tmp, 1000);
	done();
}

/* ---------------------------------------------------------------------- */
/* The pcap fast path against libpcap: every record (number, offset,
 * timestamp, lengths, bytes) and the final outcome and message must be the
 * same, on whole files and on copies cut at awkward places and damaged at
 * random. */

/* Reads path with the chosen reader into a text trace (one line per
 * packet, then the outcome), so two traces compare as strings. */
static char *trace(const char *path, bool fast)
{
	cap_set_fast_pcap(fast);
	char *out = NULL;
	size_t olen = 0;
	FILE *m = open_memstream(&out, &olen);
	struct cap_file *f;
	char err[1024];
	if (cap_open(path, &f, err, sizeof(err)) < 0) {
		fprintf(m, "open: %s\n", err);
	} else {
		struct cap_packet p;
		int rc;
		uint64_t sum;
		while ((rc = cap_next(f, &p)) == 1) {
			sum = 1469598103934665603ULL;
			for (uint32_t i = 0; i < p.caplen; i++)
				sum = (sum ^ p.data[i]) * 1099511628211ULL;
			fprintf(m, "%llu %llu %lld.%u %u %u %d %llx\n", (unsigned long long)p.frame,
				(unsigned long long)p.offset, (long long)p.ts_sec, p.ts_nsec, p.caplen, p.wirelen,
				p.linktype, (unsigned long long)sum);
		}
		fprintf(m, "rc %d snapped %llu over %llu: %s\n", rc, (unsigned long long)cap_snapped(f),
			(unsigned long long)cap_over_snaplen(f), rc < 0 ? cap_error(f) : "");
		cap_close(f);
	}
	fclose(m);
	cap_set_fast_pcap(true);
	return out;
}

static void same_both_ways(const char *path)
{
	char *a = trace(path, true), *b = trace(path, false);
	cr_assert_str_eq(a, b, "%s: fast path and libpcap differ:\nfast:\n%s\nlibpcap:\n%s", path, a, b);
	free(a);
	free(b);
}

static unsigned n_compared;

static int compare_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	size_t n = strlen(path);
	if (type != FTW_F || n < 5 || strcmp(path + n - 5, ".pcap") != 0 || st->st_size > (16 << 20))
		return 0;
	same_both_ways(path);
	/* cut copies: inside the file header, inside a record header, inside
	 * record data, one byte short */
	long size = (long)st->st_size;
	uint8_t *b = malloc((size_t)size);
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp);
	cr_assert_eq(fread(b, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);
	const char *cut = tmpfile_(".pcap");
	long at[] = {20, 30, 40, 47, size / 2, size / 3 + 7, size - 17, size - 1};
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		if (at[i] <= 0 || at[i] >= size)
			continue;
		cb_write_file(cut, b, (size_t)at[i]);
		same_both_ways(cut);
	}
	unlink(cut);
	free(b);
	n_compared++;
	return 0;
}

Test(capture, fast_pcap_agrees_with_libpcap_on_samples_and_corpus, .timeout = 300)
{
	const char *top = getenv("LS_TOP") ? getenv("LS_TOP") : ".";
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/samples", top);
	n_compared = 0;
	cr_assert_eq(nftw(dir, compare_one, 16, FTW_PHYS), 0);
	cr_expect_gt(n_compared, 30, "only %u sample captures", n_compared);
	if (access(corpus_dir(), R_OK) == 0)
		cr_assert_eq(nftw(corpus_dir(), compare_one, 16, FTW_PHYS), 0);
	else
		fprintf(stderr, "SKIP part of %s: no corpus at %s (set LS_SHARED or LS_CORPUS): samples only\n", __FILE__,
			corpus_dir());
	cr_log_info("fast path and libpcap agree on %u pcap files and their cut copies", n_compared);
}

Test(capture, fast_pcap_agrees_with_libpcap_on_damage)
{
	/* snaplen 64: records over it are cut; random flips then make
	 * lengths lie, timestamps negative or huge, records run off the end */
	uint8_t d[300];
	fill(d, sizeof(d), 3);
	static const int flags[] = {0, CB_NANO};
	for (size_t fl = 0; fl < 2; fl++) {
		const char *p = tmpfile_(".pcap");
		struct cb_pcap *w = cb_pcap_open(p, 1, 64, flags[fl]);
		cb_pcap_write(w, 1, 5, d, 60, 60);
		cb_pcap_write(w, 2, 6, d, 100, 120);
		cb_pcap_write(w, 3, 7, d, 64, 64);
		cb_pcap_write(w, 4, 8, d, 300, 300);
		cb_pcap_close(w);
		same_both_ways(p);
		long size = cb_file_size(p);
		uint8_t *orig = malloc((size_t)size), *b = malloc((size_t)size);
		FILE *fp = fopen(p, "rb");
		cr_assert_eq(fread(orig, 1, (size_t)size, fp), (size_t)size);
		fclose(fp);
		for (int r = 0; r < 3000; r++) {
			memcpy(b, orig, (size_t)size);
			int flips = 1 + (int)(xorshift() % 4);
			for (int k = 0; k < flips; k++) {
				/* mostly in headers: the file header and record headers */
				uint32_t at = xorshift() % 2 ? xorshift() % 24 + 0 : xorshift() % (uint32_t)size;
				if (at < 4)
					at += 8; /* keep the magic: a bad one never reaches a reader */
				b[at] = (uint8_t)xorshift();
			}
			size_t n = (size_t)size - (xorshift() % 3 == 0 ? xorshift() % (uint32_t)size : 0);
			cb_write_file(p, b, n);
			same_both_ways(p);
		}
		free(orig);
		free(b);
	}
	done();
}
