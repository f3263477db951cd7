#!/bin/sh
# cli-test.sh - the inputs and the command line as a user meets them:
# standard input (pcap, pcapng, compressed), gzip/zstd/lz4 captures (the same
# rows as the plain file), a truncated and a damaged .gz (analysed up to the
# damage, reported incomplete with the offsets), a folder (its captures in
# name order), -f (packet counts checked with tcpdump and tshark, a pcapng with
# two link types), -j on a pipe (read once), and the usage edges: one-line
# usage errors, merge --help, -V, --gap 2.5, the -j range, -q, suggest-tunnel
# -o on a capture with no tunnel.  Needs gzip, zstd, lz4; tcpdump, tshark and
# mergecap checks are skipped (said) when absent.
# usage: cli-test.sh LEAKSCOPE
set -u
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ls-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
nfail=0
fail() { echo "cli-test: FAIL: $*" >&2; nfail=$((nfail + 1)); }
ok() { echo "cli-test: ok: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
S=$top/samples/wg-split
T=$S/tunnel.xml
# the rows without the file column (14): the name of the input differs
rows() { cut -f1-13,15-; }

"$bin" events --tunnel "$T" "$S/phys.pcap" | rows >plain.tsv
[ "$(wc -l <plain.tsv)" -eq 5 ] || fail "plain: $(wc -l <plain.tsv) lines, not 5"

# --- compressed captures, recognised by content (names say nothing)
for c in gzip zstd lz4; do
	if ! have $c; then echo "cli-test: SKIP: $c not installed"; continue; fi
	$c -c "$S/phys.pcap" >"capture-$c.bin"
	"$bin" events --tunnel "$T" "capture-$c.bin" | rows >"$c.tsv"
	cmp -s plain.tsv "$c.tsv" && ok "$c: same rows as the plain file" || fail "$c: rows differ"
	"$c" -c "$S/phys.pcap" | "$bin" events --tunnel "$T" - | rows >"$c-stdin.tsv"
	cmp -s plain.tsv "$c-stdin.tsv" && ok "$c on standard input" || fail "$c on standard input: rows differ"
done
# several gzip members are one stream (cat a.gz b.gz), as gzip -d reads them
head -c 24 "$S/phys.pcap" >hdr.pcap
tail -c +25 "$S/phys.pcap" >body.bin
{ gzip -c hdr.pcap; gzip -c body.bin; } >members.gz
"$bin" events --tunnel "$T" members.gz | rows | cmp -s plain.tsv - && ok "two gzip members" || fail "two gzip members"

# --- standard input: pcap and pcapng
"$bin" events --tunnel "$T" - <"$S/phys.pcap" | rows | cmp -s plain.tsv - && ok "pcap on stdin" || fail "pcap on stdin"
if have editcap; then
	editcap -F pcapng "$S/phys.pcap" phys.pcapng
	cat phys.pcapng | "$bin" events --tunnel "$T" - | rows | cmp -s plain.tsv - && ok "pcapng through a pipe" ||
		fail "pcapng through a pipe"
fi
# the other byte order is read by libpcap, which then reads the pipe itself
python3 -c "
import struct, sys
b = open(sys.argv[1], 'rb').read()
out = [struct.pack('>IHHiIII', *struct.unpack('<IHHiIII', b[:24]))]
i = 24
while i < len(b):
    h = struct.unpack('<IIII', b[i:i + 16])
    out.append(struct.pack('>IIII', *h) + b[i + 16:i + 16 + h[2]])
    i += 16 + h[2]
open('be.pcap', 'wb').write(b''.join(out))" "$S/phys.pcap"
gzip -c be.pcap | "$bin" events --tunnel "$T" - | rows | cmp -s plain.tsv - && ok "big-endian pcap, gzip, on a pipe (libpcap's reader)" ||
	fail "big-endian pcap through a pipe"
"$bin" events - - <"$S/phys.pcap" >/dev/null 2>err.txt && fail "'-' twice accepted"
grep -q "given 2 times" err.txt && ok "'-' twice refused" || fail "'-' twice: $(cat err.txt)"

# --- a truncated and a damaged .gz: read up to the damage, reported incomplete
gzip -c "$S/phys.pcap" >full.gz
head -c 1500 full.gz >cut.gz
"$bin" analyze -q --tunnel "$T" -o cut cut.gz 2>err.txt
rc=$?
grep -q "cut.gz: gzip data truncated (the file ends inside a member) at compressed byte 1500 (decompressed byte [0-9]*); the [0-9]* packet(s) before it were read; analysed up to the damage" err.txt &&
	ok "truncated .gz: $(cat err.txt)" || fail "truncated .gz (rc $rc): $(cat err.txt)"
grep -q 'truncated="true"' cut/summary.xml && ok "truncated .gz: summary.xml truncated=\"true\"" || fail "truncated .gz not marked in summary.xml"
# flip a byte in the middle of the deflate data
size=$(wc -c <full.gz)
python3 -c "import sys; b=bytearray(open('full.gz','rb').read()); b[$size//2]^=0xff; open('bad.gz','wb').write(b)"
"$bin" events --tunnel "$T" bad.gz >bad.tsv 2>err.txt
grep -Eq "bad.gz: gzip data (damaged|truncated).* at compressed byte [0-9]+ \(decompressed byte [0-9]+\)" err.txt &&
	ok "damaged .gz: $(cat err.txt)" || fail "damaged .gz: $(cat err.txt)"
printf 'not a capture at all' | gzip -c >text.gz
"$bin" events text.gz >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -q "not a pcap or pcapng file once decompressed" err.txt && ok "gzip of text refused" ||
	fail "gzip of text: $(cat err.txt)"

# --- a folder: every capture in it, by name; other files left out, said
mkdir dir
cp "$top/samples/wg-killswitch/phys.pcap" dir/b.pcap
gzip -c "$S/phys.pcap" >dir/a.pcap.gz
echo "notes" >dir/README
"$bin" events dir 2>err.txt | cut -f14 | sort -u | grep -v '^file$' >files.txt
[ "$(cat files.txt | tr '\n' ' ')" = "dir/a.pcap.gz dir/b.pcap " ] && ok "folder: a.pcap.gz and b.pcap" || fail "folder gave: $(cat files.txt)"
grep -q "1 other entry left out" err.txt && ok "folder: README left out, said" || fail "folder note: $(cat err.txt)"
"$bin" analyze -q --tunnel "$T" -o fold dir 2>/dev/null
grep -o '<capture path="[^"]*"' fold/summary.xml | tr '\n' ' ' | grep -q 'dir/a.pcap.gz.*dir/b.pcap' &&
	ok "folder: captures in name order in summary.xml" || fail "folder order in summary.xml"

# --- -f: libpcap's filter, counts checked by tcpdump / tshark
K=$top/samples/wg-killswitch/any.pcap
"$bin" events -f 'udp port 53' "$K" 2>err.txt >/dev/null
got=$(sed -n "s/.*filter 'udp port 53': \([0-9]*\) packet(s) kept.*/\1/p" err.txt)
if have tcpdump; then
	want=$(tcpdump -r "$K" 'udp port 53' 2>/dev/null | wc -l)
	[ "$got" = "$want" ] && ok "-f on LINUX_SLL2: $got packets, as tcpdump" || fail "-f: $got packets, tcpdump $want"
else
	echo "cli-test: SKIP: tcpdump not installed"
fi
if have mergecap && have tshark; then
	mergecap -F pcapng -w mixed.pcapng "$S/any.pcap" "$S/phys.pcap"
	"$bin" events -f 'udp port 53' mixed.pcapng 2>err.txt >/dev/null
	got=$(sed -n "s/.*filter 'udp port 53': \([0-9]*\) packet(s) kept.*/\1/p" err.txt)
	want=$(tshark -r mixed.pcapng -Y 'udp.port == 53' 2>/dev/null | wc -l)
	[ "$got" = "$want" ] && ok "-f on a pcapng with SLL2 and Ethernet interfaces: $got, as tshark" ||
		fail "-f pcapng: $got, tshark $want"
fi
"$bin" analyze -q -f 'udp port 53' --tunnel "$T" -o filt "$S/phys.pcap" 2>/dev/null
grep -q '<captures filter="udp port 53">' filt/summary.xml && grep -q "packet filter &#39;udp port 53&#39;" filt/index.html &&
	ok "-f named in summary.xml and index.html" || fail "-f not named in the reports"
"$bin" events -f 'udp prot 53' "$K" >/dev/null 2>err.txt
[ $? -eq 2 ] && [ "$(wc -l <err.txt)" -eq 2 ] && grep -q "syntax error" err.txt && ok "-f syntax error: usage error" ||
	fail "-f syntax error: $(cat err.txt)"
"$bin" events -f 'ether host 1:2:3:4:5:6' "$K" >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -q "LINUX_SLL2" err.txt && ok "-f not applicable to the link type: unusable" || fail "-f link type: $(cat err.txt)"

# --- -j on a pipe: read once (one reader feeds the -j workers), same rows
cat "$S/phys.pcap" | "$bin" events -j 2 --tunnel "$T" - 2>err.txt | rows | cmp -s plain.tsv - && ok "-j 2 on a pipe: same rows" ||
	fail "-j 2 on a pipe: rows differ"
# a named pipe: opened once (a second open would wait for a writer forever)
mkfifo fifo
cat "$S/phys.pcap" >fifo &
timeout 60 "$bin" events -j 2 --tunnel "$T" fifo 2>err.txt | rows | cmp -s plain.tsv - && ok "-j 2 on a named pipe: read once, same rows" ||
	fail "-j 2 on a named pipe: $(cat err.txt)"
wait
cat "$S/phys.pcap" | "$bin" analyze -o x - >/dev/null 2>err.txt
[ $? -eq 2 ] && grep -q "read twice" err.txt && ok "analyze without --tunnel on a pipe refused" || fail "auto on pipe: $(cat err.txt)"

# --- a TSO frame (IPv4 total length 0) is decoded, and counted in the reports
python3 -c "
import struct
f = bytes([2,0,0,0,0,1, 2,0,0,0,0,2, 8,0, 0x45,0,0,0, 0x12,0x34,0,0, 64,17,0x9c,0x45, 10,0,0,2, 192,0,2,53,
           0x9c,0x40,0,53,0,41,0,0, 0x1a,0x2b,1,0,0,1,0,0,0,0,0,0]) + b'\x03www\x07example\x03com\x00\x00\x01\x00\x01'
open('tso.pcap', 'wb').write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) +
                             struct.pack('<IIII', 1700000000, 0, len(f), len(f)) + f)"
"$bin" events tso.pcap | cut -f7 | grep -qx www.example.com && ok "TSO frame: its DNS query read" || fail "TSO frame: query lost"
"$bin" analyze -q -o tso tso.pcap 2>/dev/null
grep -q 'tso-frames="1"' tso/summary.xml && ok "TSO frame: counted (tso-frames)" || fail "TSO frame not counted"
[ -f fold/summary.xml ] && ! grep -q 'tso-frames' fold/summary.xml && ok "no tso-frames without TSO" || fail "tso-frames on a capture without TSO"

# --- usage edges
"$bin" analyze --bogus x >out.txt 2>err.txt
[ $? -eq 2 ] && [ ! -s out.txt ] && [ "$(wc -l <err.txt)" -eq 2 ] && tail -1 err.txt | grep -q "see 'leakscope analyze --help'" &&
	ok "usage error: two lines" || fail "usage error: $(cat err.txt)"
"$bin" merge --help | head -1 | grep -q "^usage: leakscope merge" && ok "merge --help" || fail "merge --help"
"$bin" -V >v.txt && grep -q "^leakscope " v.txt && grep -q "libpcap version" v.txt && grep -q "nDPI " v.txt &&
	grep -q "libxml2 " v.txt && ok "-V: $(tail -1 v.txt)" || fail "-V: $(cat v.txt)"
"$bin" analyze -q --gap 2.5 --tunnel "$T" -o gap "$S/phys.pcap"
grep -q 'gap-seconds="2.500"' gap/summary.xml && ok "--gap 2.5" || fail "--gap 2.5"
for j in 0 65 x; do
	"$bin" events -j $j "$S/phys.pcap" 2>&1 >/dev/null | head -1
done >j.txt
[ "$(sed "s/, not '.*//" j.txt | sort -u)" = "leakscope: -j takes a whole number from 1 to 64" ] && ok "-j errors agree" ||
	fail "-j errors: $(cat j.txt)"
"$bin" analyze -q -o quiet "$S/phys.pcap" >out.txt 2>err.txt
[ ! -s out.txt ] && [ ! -s err.txt ] && ok "-q: nothing printed" || fail "-q printed: $(cat out.txt err.txt)"
"$bin" suggest-tunnel -f 'udp port 53' -o none.xml "$S/phys.pcap" 2>err.txt
rc=$?
[ $rc -eq 1 ] && [ ! -e none.xml ] && grep -q "nothing written to none.xml" err.txt && ok "suggest-tunnel -o with no tunnel: nothing written, exit 1" ||
	fail "suggest-tunnel no tunnel: rc $rc $(cat err.txt)"
"$bin" suggest-tunnel "$S/phys.pcap" | grep "carrier:" | grep -q '\.000000Z' && fail "suggest-tunnel prints invented microseconds" ||
	ok "suggest-tunnel times to the second"

# --- --tunnel given as the VPN's own configuration: the same verdicts as the
# samples' hand-written descriptions (tests/data/import/*: the lab clients)
I=$top/tests/data/import
for pair in wg-killswitch:lswg-c0.conf wg-clean:lswg-c0.conf wg-ipv6-leak:v4only/lswg-c0.conf \
	ovpn-udp:lsovpn-c0.ovpn ovpn-tcp:lsovpn-c1.ovpn; do
	smp=${pair%%:*}
	conf=$I/${pair#*:}
	for f in any phys; do
		"$bin" events --tunnel "$top/samples/$smp/tunnel.xml" "$top/samples/$smp/$f.pcap" >want.tsv
		"$bin" events --tunnel "$conf" "$top/samples/$smp/$f.pcap" >got.tsv
		if cmp -s want.tsv got.tsv; then
			ok "$smp/$f.pcap with ${pair#*:}: the same verdicts as tunnel.xml"
		else
			fail "$smp/$f.pcap with ${pair#*:}: verdicts differ"
			diff want.tsv got.tsv | head -5 >&2
		fi
	done
done
"$bin" check-rules "$I/lswg-c0.conf" >cr.txt
head -1 cr.txt | grep -q "translated into this tunnel description:" && grep -q '<endpoint address="203.0.113.5" port="51820" transport="udp"/>' cr.txt &&
	grep -q "lswg-c0.conf: valid." cr.txt && ok "check-rules prints the translation" || fail "check-rules on a .conf: $(cat cr.txt)"
# a description from a pipe (--tunnel <(...) in bash) is read once
mkfifo tfifo
cat "$I/lswg-c0.conf" >tfifo &
timeout 60 "$bin" events --tunnel tfifo "$top/samples/wg-killswitch/phys.pcap" >got.tsv 2>err.txt
"$bin" events --tunnel "$top/samples/wg-killswitch/tunnel.xml" "$top/samples/wg-killswitch/phys.pcap" >want.tsv
wait
cmp -s want.tsv got.tsv && ok "--tunnel from a pipe" || fail "--tunnel from a pipe: $(cat err.txt)"
printf '[Interface]\nAddress = 10.0.0.300\n[Peer]\nEndpoint = 1.2.3.4:5\n' >bad.conf
"$bin" analyze --tunnel bad.conf "$S/phys.pcap" 2>err.txt
[ $? -eq 2 ] && grep -q "^leakscope: bad.conf:2: '10.0.0.300' is not an address" err.txt && ok "a bad .conf: file:line" ||
	fail "bad .conf: $(cat err.txt)"

[ $nfail -eq 0 ] && echo "cli-test: all passed" || echo "cli-test: $nfail FAILED" >&2
exit $((nfail > 0))
