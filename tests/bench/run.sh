#!/bin/bash
# run.sh - make bench: leakscope's speed and memory against a bare libpcap loop, ndpiReader and tshark.
#
# Generates (or reuses) the benchmark captures under build/bench/, reads
# each one once so it sits in the page cache, times every tool on the same
# file, prints a table and the targets of issue 7 as PASS/FAIL lines.
# tests/bench/README.md explains the numbers.
#
# Exit status: 0 when every tool ran to the end (missed targets included:
# the bench reports, it does not gate); 1 when a tool crashed or failed, or
# a capture could not be made.
#
# Environment (all optional):
#   BENCH_SIZES   capture sizes in MiB, smallest first   (default "200 1024")
#   BENCH_RUNS    runs per fast tool, the median counts  (default 3)
#   BENCH_BUILD   where genbench/bareloop are and captures go (default build)
#   LEAKSCOPE     the binary to time                     (default ./leakscope)

set -u
LC_ALL=C
export LC_ALL

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BENCH_BUILD:-$TOP/build}
DIR=$BUILD/bench
GENBENCH=$DIR/genbench
BARELOOP=$DIR/bareloop
LEAKSCOPE=${LEAKSCOPE:-$TOP/leakscope}
TUNNEL=$TOP/tests/bench/bench-tunnel.xml
SIZES=${BENCH_SIZES:-200 1024}
RUNS=${BENCH_RUNS:-3}
RESULTS=$DIR/results.txt

failed=0
note() { printf 'bench: %s\n' "$*" >&2; }

case $RUNS in '' | *[!0-9]* | 0) note "BENCH_RUNS must be a positive number"; exit 1 ;; esac
# shellcheck disable=SC2086 # a list, split on purpose
set -- $SIZES
[ $# -ge 1 ] || { note "BENCH_SIZES is empty"; exit 1; }
SMALL=$1
BIG=${!#}

for f in "$GENBENCH" "$BARELOOP" "$LEAKSCOPE"; do
	[ -x "$f" ] || { note "$f is missing: run 'make bench' (it builds them)"; exit 1; }
done

# ---------------------------------------------------------------------------
# Tools: /usr/bin/time (package time) is required; ndpiReader (libndpi-bin)
# and tshark are compared against when present.  As root, missing ones are
# installed; otherwise their rows say SKIP.

have() { command -v "$1" >/dev/null 2>&1; }
missing=""
[ -x /usr/bin/time ] || missing="$missing time"
have ndpiReader || missing="$missing libndpi-bin"
have tshark || missing="$missing tshark"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		note "installing$missing"
		# shellcheck disable=SC2086 # a list, split on purpose
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
			note "apt-get failed; install by hand:$missing"
		fi
	else
		note "not root: install$missing with apt-get to compare against them"
	fi
fi
[ -x /usr/bin/time ] || { note "/usr/bin/time is needed (apt-get install time)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/leakscope-bench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# ---------------------------------------------------------------------------
# Captures: build/bench/bench-<MiB>.pcap.  The stamp beside each records the
# generator source's hash, the size asked for, and the file's length and
# SHA-256; a file is reused only when all of them still match.

src_hash=$(sha256sum "$TOP/tests/bench/genbench.c" | cut -d' ' -f1)

declare -A FILE PKTS BYTES
for s in $SIZES; do
	f=$DIR/bench-$s.pcap
	stamp=$f.stamp
	FILE[$s]=$f
	reuse=0
	if [ -f "$f" ] && [ -f "$stamp" ]; then
		read -r st_src st_size st_bytes st_hash <"$stamp"
		if [ "$st_src" = "$src_hash" ] && [ "$st_size" = "$s" ] &&
			[ "$(stat -c %s "$f")" = "$st_bytes" ]; then
			note "checking $f against its stamp"
			[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$st_hash" ] && reuse=1
		fi
	fi
	if [ $reuse = 0 ]; then
		note "generating $f ($s MiB)"
		rm -f "$stamp"
		if ! "$GENBENCH" "$f" "$s"; then
			note "genbench failed"
			exit 1
		fi
		echo "$src_hash $s $(stat -c %s "$f") $(sha256sum "$f" | cut -d' ' -f1)" >"$stamp"
	fi
	BYTES[$s]=$(stat -c %s "$f")
	cat "$f" >/dev/null # page cache: every tool reads from memory
done

# ---------------------------------------------------------------------------
# Timing.  Wall time comes from a nanosecond clock around /usr/bin/time
# (its own %e has 10 ms steps, too coarse for the bare loop); peak RSS is
# its %M.  Over several runs the median wall time counts, and the largest
# RSS seen.

declare -A WALL RSS STATUS

# measure KEY RUNS OK_CODES CMD...: OK_CODES is a space-separated list of
# exit statuses that mean "ran to the end" (leakscope: 1 = leaks found).
measure() {
	local key=$1 runs=$2 ok=$3
	shift 3
	local i rc t0 t1 rss walls="" maxrss=0
	for ((i = 0; i < runs; i++)); do
		rm -rf "$TMP/out"
		t0=$(date +%s%N)
		/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
		rc=$?
		t1=$(date +%s%N)
		if [ $rc -ge 128 ] || grep -q 'terminated by signal' "$TMP/time" ||
			! [[ " $ok " == *" $rc "* ]]; then
			note "$key: '$*' failed (exit $rc; $(head -1 "$TMP/time"))"
			tail -5 "$TMP/stderr" | sed 's/^/    /' >&2
			STATUS[$key]=CRASH
			failed=1
			return 1
		fi
		rss=$(tail -1 "$TMP/time" | cut -d' ' -f2)
		[ "$rss" -gt "$maxrss" ] && maxrss=$rss
		walls="$walls $((t1 - t0))"
	done
	# shellcheck disable=SC2086 # a list, split on purpose
	WALL[$key]=$(printf '%s\n' $walls | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e9}')
	RSS[$key]=$(awk -v k="$maxrss" 'BEGIN {printf "%.1f", k/1024}')
	STATUS[$key]=ok
	return 0
}

TOOLS="bare bare-default leakscope leakscope-j2 leakscope-tsv ndpiReader tshark"
declare -A LABEL=([bare]="bare loop, 1 MiB buffer" [bare-default]="bare loop, default buffer"
	[leakscope]="leakscope analyze" [leakscope-j2]="leakscope analyze -j 2"
	[leakscope-tsv]="leakscope events (TSV)" [ndpiReader]="ndpiReader -q" [tshark]="tshark dns names")

# Other work on the machine skews the numbers; the report shows the load.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $SIZES; do
	f=${FILE[$s]}
	note "timing on $(basename "$f")"
	if measure "bare|$s" "$RUNS" 0 "$BARELOOP" "$f"; then
		PKTS[$s]=$(awk '{print $2}' "$TMP/stdout")
	fi
	measure "bare-default|$s" "$RUNS" 0 "$BARELOOP" --default "$f"
	measure "leakscope|$s" "$RUNS" "0 1" "$LEAKSCOPE" analyze --quiet --tunnel "$TUNNEL" -o "$TMP/out" "$f"
	# for reading the table, not checked: two threads, and the analysis
	# with its events as TSV instead of the XML and HTML reports
	measure "leakscope-j2|$s" "$RUNS" "0 1" "$LEAKSCOPE" analyze --quiet -j 2 --tunnel "$TUNNEL" -o "$TMP/out" "$f"
	measure "leakscope-tsv|$s" "$RUNS" "0 1" "$LEAKSCOPE" events --tunnel "$TUNNEL" "$f"
	if have ndpiReader; then
		measure "ndpiReader|$s" "$RUNS" 0 ndpiReader -i "$f" -q
	else
		STATUS["ndpiReader|$s"]=SKIP
	fi
	if [ "$s" = "$SMALL" ] && have tshark; then
		measure "tshark|$s" 1 0 tshark -n -r "$f" -Y dns -T fields -e dns.qry.name
	else
		STATUS["tshark|$s"]=SKIP
	fi
done

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------
# Report.

{
	echo "leakscope bench, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, $(uname -r)"
	echo "load average before/after timing: $LOAD0 / $LOAD1"
	echo "leakscope: $LEAKSCOPE (tree $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo '?'))," \
		"nDPI $(dpkg-query -W -f '${Version}' libndpi-bin 2>/dev/null || echo '?')," \
		"$(tshark --version 2>/dev/null | head -1 || echo 'no tshark')," \
		"libpcap $(dpkg-query -W -f '${Version}' libpcap0.8 2>/dev/null || echo '?')"
	echo "runs: median of $RUNS (tshark: 1); MB = MiB; x bare = wall / bare loop with 1 MiB buffer"
	for s in $SIZES; do
		echo "bench-$s.pcap: ${BYTES[$s]} bytes, ${PKTS[$s]:-?} packets"
	done
	echo
	printf '%-27s %-6s %9s %9s %11s %9s %9s\n' tool file "wall s" "MB/s" "packets/s" "RSS MB" "x bare"
	for s in $SIZES; do
		for t in $TOOLS; do
			k="$t|$s"
			case ${STATUS[$k]:-SKIP} in
			SKIP)
				[ "$t" = tshark ] && [ "$s" != "$SMALL" ] && continue
				printf '%-27s %-6s %9s\n' "${LABEL[$t]}" "${s}M" "skipped" ;;
			CRASH)
				printf '%-27s %-6s %9s\n' "${LABEL[$t]}" "${s}M" "FAILED" ;;
			*)
				awk -v n="${LABEL[$t]}" -v f="${s}M" -v w="${WALL[$k]}" -v b="${BYTES[$s]}" \
					-v p="${PKTS[$s]:-0}" -v r="${RSS[$k]}" -v base="${WALL["bare|$s"]:-0}" \
					'BEGIN {
						x = base > 0 ? sprintf("%.2f", w / base) : "?"
						printf "%-27s %-6s %9.3f %9.1f %11.0f %9s %9s\n", n, f, w, b / 1048576 / w,
							p / w, r, x
					}' ;;
			esac
		done
	done
	echo

	# check NAME OK? DETAIL: one PASS/FAIL line; n/a when a number is missing.
	check() {
		local what=$1 expr=$2 detail=$3
		if [[ $detail == *"?"* ]]; then
			printf 'n/a   %s (%s)\n' "$what" "missing measurement"
		elif awk "BEGIN {exit !($expr)}"; then
			printf 'PASS  %s: %s\n' "$what" "$detail"
		else
			printf 'FAIL  %s: %s\n' "$what" "$detail"
		fi
	}
	w() { local v=${WALL["$1|$2"]:-}; [ -n "$v" ] && [ "${STATUS["$1|$2"]}" = ok ] && echo "$v" || echo "?"; }
	m() { local v=${RSS["$1|$2"]:-}; [ -n "$v" ] && [ "${STATUS["$1|$2"]}" = ok ] && echo "$v" || echo "?"; }
	ratio() {
		if [[ "$1$2" == *"?"* ]]; then echo "?"; else awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; fi
	}
	for s in $SIZES; do
		l=$(w leakscope "$s") b=$(w bare "$s") n=$(w ndpiReader "$s")
		check "leakscope within 2x of the bare loop, ${s}M" "$l <= 2 * $b" \
			"$l s vs $b s = $(ratio "$l" "$b")x"
		check "leakscope >= 4x faster than ndpiReader, ${s}M" "$n >= 4 * $l" \
			"$n s vs $l s = $(ratio "$n" "$l")x"
	done
	l=$(w leakscope "$SMALL") t=$(w tshark "$SMALL")
	check "leakscope >= 30x faster than tshark, ${SMALL}M" "$t >= 30 * $l" \
		"$t s vs $l s = $(ratio "$t" "$l")x"
	if [ "$BIG" != "$SMALL" ]; then
		rs=$(m leakscope "$SMALL") rb=$(m leakscope "$BIG")
		check "leakscope peak RSS ${BIG}M <= 1.5x ${SMALL}M and < 64 MB" "$rb <= 1.5 * $rs && $rb < 64" \
			"$rb MB vs $rs MB = $(ratio "$rb" "$rs")x"
		# 5.5x for 1024 vs 200 MiB (5.12x the bytes): linear plus 7.4%.
		lim=$(awk -v a="$BIG" -v b="$SMALL" 'BEGIN {printf "%.2f", 5.5 / 5.12 * a / b}')
		ls_=$(w leakscope "$SMALL") lb=$(w leakscope "$BIG")
		check "leakscope ${BIG}M time within ${lim}x of ${SMALL}M" "$lb <= $lim * $ls_" \
			"$lb s vs $ls_ s = $(ratio "$lb" "$ls_")x (bytes $(ratio "${BYTES[$BIG]}" "${BYTES[$SMALL]}")x)"
	fi
} | tee "$RESULTS"

note "table saved in $RESULTS"
exit $failed
