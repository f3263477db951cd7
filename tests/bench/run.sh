#!/bin/bash
# run.sh - make bench: leakscope's speed and memory against a bare libpcap loop, ndpiReader, tshark and Suricata.
#
# Generates (or reuses) the benchmark captures under build/bench/ (two
# mixes: the office mix and a carrier-dominated one, genbench -c), reads
# each one once so it sits in the page cache, times every tool on the same
# file (wall and CPU), prints a table with each figure as a ratio to the
# bare 1 MiB-buffer loop of the same run, and the targets of issues 7 and
# 13 as PASS/FAIL lines.  tests/bench/README.md explains the numbers.
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
#   BENCH_MIXES   which mixes: "office carrier" (default), or one of them

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
MIXES=${BENCH_MIXES:-office carrier}
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
# Suricata where the archive has it (Debian's main has it for some
# releases and mirrors, not for others): skipped with a note otherwise
if ! have suricata; then
	if apt-cache policy suricata 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		missing="$missing suricata"
	else
		note "suricata is not in this machine's package archive: its rows say skipped"
	fi
fi
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
# Every capture is keyed "mix-size": office-200, carrier-1024, ...
KEYS=""
for mix in $MIXES; do
	case $mix in
	office) gflag="" prefix=bench ;;
	carrier) gflag="-c" prefix=carrier ;;
	*) note "BENCH_MIXES: unknown mix '$mix' (office, carrier)"; exit 1 ;;
	esac
	for s in $SIZES; do
		k=$mix-$s
		KEYS="$KEYS $k"
		f=$DIR/$prefix-$s.pcap
		stamp=$f.stamp
		FILE[$k]=$f
		reuse=0
		if [ -f "$f" ] && [ -f "$stamp" ]; then
			read -r st_src st_size st_bytes st_hash st_mix <"$stamp"
			if [ "$st_src" = "$src_hash" ] && [ "$st_size" = "$s" ] && [ "${st_mix:-office}" = "$mix" ] &&
				[ "$(stat -c %s "$f")" = "$st_bytes" ]; then
				note "checking $f against its stamp"
				[ "$(sha256sum "$f" | cut -d' ' -f1)" = "$st_hash" ] && reuse=1
			fi
		fi
		if [ $reuse = 0 ]; then
			note "generating $f ($mix mix, $s MiB)"
			rm -f "$stamp"
			# shellcheck disable=SC2086 # an optional flag
			if ! "$GENBENCH" $gflag "$f" "$s"; then
				note "genbench failed"
				exit 1
			fi
			echo "$src_hash $s $(stat -c %s "$f") $(sha256sum "$f" | cut -d' ' -f1) $mix" >"$stamp"
		fi
		BYTES[$k]=$(stat -c %s "$f")
		cat "$f" >/dev/null # page cache: every tool reads from memory
	done
done

# ---------------------------------------------------------------------------
# Timing.  Wall time comes from a nanosecond clock around /usr/bin/time
# (its own %e has 10 ms steps, too coarse for the bare loop); peak RSS is
# its %M.  Over several runs the median wall time counts, and the largest
# RSS seen.

declare -A WALL CPU RSS STATUS

# measure KEY RUNS OK_CODES CMD...: OK_CODES is a space-separated list of
# exit statuses that mean "ran to the end" (leakscope: 1 = leaks found).
# The output folder $TMP/out is removed before each run, unless KEEP_OUT=1
# (the "existing folder" rows: it holds the previous run's reports).
measure() {
	local key=$1 runs=$2 ok=$3
	shift 3
	local i rc t0 t1 rss cpu walls="" cpus="" maxrss=0
	for ((i = 0; i < runs; i++)); do
		[ "${KEEP_OUT:-0}" = 1 ] || rm -rf "$TMP/out"
		t0=$(date +%s%N)
		/usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$@" >"$TMP/stdout" 2>"$TMP/stderr"
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
		cpu=$(tail -1 "$TMP/time" | awk '{printf "%d", ($3 + $4) * 1000}')
		[ "$rss" -gt "$maxrss" ] && maxrss=$rss
		walls="$walls $((t1 - t0))"
		cpus="$cpus $cpu"
	done
	# shellcheck disable=SC2086 # a list, split on purpose
	WALL[$key]=$(printf '%s\n' $walls | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e9}')
	# shellcheck disable=SC2086 # a list, split on purpose
	CPU[$key]=$(printf '%s\n' $cpus | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]/1e3}')
	RSS[$key]=$(awk -v k="$maxrss" 'BEGIN {printf "%.1f", k/1024}')
	STATUS[$key]=ok
	return 0
}

TOOLS="bare bare-default leakscope leakscope-exist leakscope-j2 leakscope-tsv ndpiReader suricata tshark"
declare -A LABEL=([bare]="bare loop, 1 MiB buffer" [bare-default]="bare loop, default buffer"
	[leakscope]="leakscope analyze" [leakscope-exist]="analyze, existing folder"
	[leakscope-j2]="leakscope analyze -j 2"
	[leakscope-tsv]="leakscope events (TSV)" [ndpiReader]="ndpiReader -q" [suricata]="suricata (DNS, single)"
	[tshark]="tshark dns names")

# Suricata with no rules and a DNS-only eve log: what it costs to get the
# DNS transactions out, as leakscope does.
SURI_YAML=$TMP/suricata.yaml
cat >"$SURI_YAML" <<'YAML'
%YAML 1.1
---
default-log-dir: /tmp
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - dns
app-layer:
  protocols:
    dns:
      tcp:
        enabled: yes
      udp:
        enabled: yes
YAML

# Other work on the machine skews the numbers; the report shows the load.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for k in $KEYS; do
	f=${FILE[$k]}
	s=${k##*-}
	note "timing on $(basename "$f")"
	if measure "bare|$k" "$RUNS" 0 "$BARELOOP" "$f"; then
		PKTS[$k]=$(awk '{print $2}' "$TMP/stdout")
	fi
	measure "bare-default|$k" "$RUNS" 0 "$BARELOOP" --default "$f"
	measure "leakscope|$k" "$RUNS" "0 1" "$LEAKSCOPE" analyze --quiet --tunnel "$TUNNEL" -o "$TMP/out" "$f"
	# the same into the folder the previous run wrote (its reports are replaced)
	KEEP_OUT=1 measure "leakscope-exist|$k" "$RUNS" "0 1" "$LEAKSCOPE" analyze --quiet --tunnel "$TUNNEL" \
		-o "$TMP/out" "$f"
	measure "leakscope-j2|$k" "$RUNS" "0 1" "$LEAKSCOPE" analyze --quiet -j 2 --tunnel "$TUNNEL" -o "$TMP/out" "$f"
	measure "leakscope-tsv|$k" "$RUNS" "0 1" "$LEAKSCOPE" events --tunnel "$TUNNEL" "$f"
	if have ndpiReader; then
		measure "ndpiReader|$k" "$RUNS" 0 ndpiReader -i "$f" -q
	else
		STATUS["ndpiReader|$k"]=SKIP
	fi
	if have suricata; then
		mkdir -p "$TMP/suri"
		measure "suricata|$k" "$RUNS" 0 suricata -c "$SURI_YAML" -k none --runmode single -r "$f" \
			-l "$TMP/suri" -S /dev/null
	else
		STATUS["suricata|$k"]=SKIP
	fi
	if [ "$s" = "$SMALL" ] && have tshark; then
		measure "tshark|$k" 1 0 tshark -n -r "$f" -Y dns -T fields -e dns.qry.name
	else
		STATUS["tshark|$k"]=SKIP
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
		"$(if have tshark; then tshark --version | head -1; else echo 'no tshark'; fi)," \
		"$(if have suricata; then suricata -V | head -1; else echo 'no suricata'; fi)," \
		"libpcap $(dpkg-query -W -f '${Version}' libpcap0.8 2>/dev/null || echo '?')"
	echo "runs: median of $RUNS (tshark: 1); MB = MiB; x bare = wall (CPU) / the bare loop's with a 1 MiB buffer, same file, same run"
	for k in $KEYS; do
		echo "${k}: $(basename "${FILE[$k]}"), ${BYTES[$k]} bytes, ${PKTS[$k]:-?} packets"
	done
	have suricata || echo "suricata: not installed (not in this machine's package archive): skipped"
	echo
	printf '%-27s %-13s %8s %8s %8s %7s %8s %8s\n' tool file "wall s" "CPU s" "MB/s" "RSS MB" "x bare" "CPU x"
	for k in $KEYS; do
		s=${k##*-}
		for t in $TOOLS; do
			kk="$t|$k"
			case ${STATUS[$kk]:-SKIP} in
			SKIP)
				[ "$t" = tshark ] && [ "$s" != "$SMALL" ] && continue
				printf '%-27s %-13s %8s\n' "${LABEL[$t]}" "$k" "skipped" ;;
			CRASH)
				printf '%-27s %-13s %8s\n' "${LABEL[$t]}" "$k" "FAILED" ;;
			*)
				awk -v n="${LABEL[$t]}" -v f="$k" -v w="${WALL[$kk]}" -v c="${CPU[$kk]}" -v b="${BYTES[$k]}" \
					-v r="${RSS[$kk]}" -v base="${WALL["bare|$k"]:-0}" -v cbase="${CPU["bare|$k"]:-0}" \
					'BEGIN {
						x = base > 0 ? sprintf("%.2f", w / base) : "?"
						y = cbase > 0 ? sprintf("%.2f", c / cbase) : "?"
						printf "%-27s %-13s %8.3f %8.3f %8.1f %7s %8s %8s\n", n, f, w, c, b / 1048576 / w,
							r, x, y
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
	c() { local v=${CPU["$1|$2"]:-}; [ -n "$v" ] && [ "${STATUS["$1|$2"]}" = ok ] && echo "$v" || echo "?"; }
	m() { local v=${RSS["$1|$2"]:-}; [ -n "$v" ] && [ "${STATUS["$1|$2"]}" = ok ] && echo "$v" || echo "?"; }
	ratio() {
		if [[ "$1$2" == *"?"* ]]; then echo "?"; else awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else printf "?"}'; fi
	}
	for mix in $MIXES; do
		kb=$mix-$BIG ks=$mix-$SMALL
		# issue 13: against the bare loop, CPU and wall
		lim=2; ev=""
		[ "$mix" = carrier ] && lim=1.5 && ev=1.2
		for what in wall CPU; do
			if [ $what = wall ]; then l=$(w leakscope "$kb") b=$(w bare "$kb") t=$(w leakscope-tsv "$kb")
			else l=$(c leakscope "$kb") b=$(c bare "$kb") t=$(c leakscope-tsv "$kb"); fi
			check "analyze --tunnel $what within ${lim}x of the bare loop, $kb" "$l <= $lim * $b" \
				"$l s vs $b s = $(ratio "$l" "$b")x"
			[ -n "$ev" ] && check "events $what within ${ev}x of the bare loop, $kb" "$t <= $ev * $b" \
				"$t s vs $b s = $(ratio "$t" "$b")x"
		done
		l1=$(w leakscope "$kb") l2=$(w leakscope-j2 "$kb")
		check "-j 2 wall at most 0.6x of -j 1, $kb" "$l2 <= 0.6 * $l1" "$l2 s vs $l1 s = $(ratio "$l2" "$l1")x"
		check "-j 2 faster than -j 1 (wall), $ks" "$(w leakscope-j2 "$ks") < $(w leakscope "$ks")" \
			"$(w leakscope-j2 "$ks") s vs $(w leakscope "$ks") s"
		l=$(c leakscope "$kb") n=$(c ndpiReader "$kb") su=$(c suricata "$kb")
		check "analyze >= 4x less CPU than ndpiReader, $kb" "$n >= 4 * $l" "$n s vs $l s = $(ratio "$n" "$l")x"
		if have suricata; then
			check "analyze >= 8x less CPU than Suricata, $kb" "$su >= 8 * $l" "$su s vs $l s = $(ratio "$su" "$l")x"
		fi
		l=$(c leakscope "$ks") t=$(c tshark "$ks")
		check "analyze >= 50x less CPU than tshark, $ks" "$t >= 50 * $l" "$t s vs $l s = $(ratio "$t" "$l")x"
		if [ "$BIG" != "$SMALL" ]; then
			rs=$(m leakscope "$ks") rb=$(m leakscope "$kb")
			check "peak RSS ${kb} <= 1.5x ${ks} and < 64 MB" "$rb <= 1.5 * $rs && $rb < 64" \
				"$rb MB vs $rs MB = $(ratio "$rb" "$rs")x"
			# 5.5x for 1024 vs 200 MiB (5.12x the bytes): linear plus 7.4%.
			lim=$(awk -v a="$BIG" -v b="$SMALL" 'BEGIN {printf "%.2f", 5.5 / 5.12 * a / b}')
			ls_=$(c leakscope "$ks") lb=$(c leakscope "$kb")
			check "analyze CPU on ${kb} within ${lim}x of ${ks}" "$lb <= $lim * $ls_" \
				"$lb s vs $ls_ s = $(ratio "$lb" "$ls_")x (bytes $(ratio "${BYTES[$kb]}" "${BYTES[$ks]}")x)"
		fi
	done
} | tee "$RESULTS"

note "table saved in $RESULTS"
exit $failed
