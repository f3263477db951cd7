#!/bin/sh
# valgrind-e2e.sh - the end-to-end commands under valgrind's memcheck: no
# invalid access, no uninitialised read, no leak ("definitely" or
# "indirectly" lost); and -j 2 under helgrind: no data race between the
# shard threads or between the XML and HTML writers.  Run by make sanitize.  Skips (exit 0) without valgrind.
# usage: valgrind-e2e.sh LEAKSCOPE
set -u
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind-e2e: SKIP: valgrind not installed"
	exit 0
fi
work=$(mktemp -d /tmp/ls-vg.XXXXXX)
trap 'rm -rf "$work"' EXIT
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
fail=0
run() {
	name=$1
	shift
	$vg "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ $rc -eq 99 ] || [ $rc -gt 2 ]; then
		echo "valgrind-e2e: $name: FAIL (exit $rc)" >&2
		head -40 "$work/err" >&2
		fail=1
	else
		echo "valgrind-e2e: $name: clean (exit $rc)"
	fi
}
s=$top/samples
run "analyze wg-split" "$bin" analyze -q --tunnel "$s/wg-split/tunnel.xml" -o "$work/r1" "$s/wg-split/any.pcap"
run "analyze -j 2 dns-tcp-multi" "$bin" analyze -q -j 2 --tunnel "$s/dns-tcp-multi/tunnel.xml" -o "$work/r2" "$s/dns-tcp-multi/any.pcap"
run "events doh-outside" "$bin" events --tunnel "$s/doh-outside/tunnel.xml" "$s/doh-outside/any.pcap"
run "analyze without --tunnel local-link" "$bin" analyze -q -o "$work/r3" "$s/local-link/phys.pcap"
run "suggest-tunnel ovpn-tcp" "$bin" suggest-tunnel "$s/ovpn-tcp/any.pcap"
run "check-rules" "$bin" check-rules "$top/rules/examples/split-tunnel.xml"
run "partial" "$bin" analyze -q --tunnel "$s/wg-killswitch/tunnel.xml" --partial "$work/p.lsp" "$s/wg-killswitch/any.pcap"
run "merge" "$bin" merge -q --tunnel "$s/wg-killswitch/tunnel.xml" -o "$work/r4" "$work/p.lsp"
# the audit process itself (its analyze children run outside valgrind)
run "audit samples.xml -j 2" "$bin" audit -q -j 2 -o "$work/r6" "$top/rules/campaigns/samples.xml"
gzip -c "$s/wg-split/any.pcap" >"$work/any.pcap.gz"
zstd -q -c "$s/wg-split/any.pcap" >"$work/any.pcap.zst" 2>/dev/null || cp "$work/any.pcap.gz" "$work/any.pcap.zst"
lz4 -q -c "$s/wg-split/any.pcap" >"$work/any.pcap.lz4" 2>/dev/null || cp "$work/any.pcap.gz" "$work/any.pcap.lz4"
head -c 2000 "$work/any.pcap.gz" >"$work/cut.gz"
run "events --format json, gzip/zstd/lz4, -f" "$bin" events --format json -f udp --tunnel "$s/wg-split/tunnel.xml" \
	"$work/any.pcap.gz" "$work/any.pcap.zst" "$work/any.pcap.lz4" "$work/cut.gz"
run "events from standard input" sh -c "$vg '$bin' events --tunnel '$s/wg-split/tunnel.xml' - <'$s/wg-split/phys.pcap'"
run "check-rules a wg-quick .conf" "$bin" check-rules "$top/tests/data/import/wg0.conf"
run "check-rules an .ovpn" "$bin" check-rules "$top/tests/data/import/office.ovpn"
run "check-rules a swanctl.conf" "$bin" check-rules "$top/tests/data/import/swanctl.conf"
vg="valgrind -q --tool=helgrind --error-exitcode=99"
run "helgrind analyze -j 2 wg-split" "$bin" analyze -q -j 2 --tunnel "$s/wg-split/tunnel.xml" -o "$work/r5" "$s/wg-split/any.pcap"
exit $fail
