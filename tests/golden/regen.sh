#!/bin/sh
# regen.sh - the golden outputs of every bundled lab capture (tests/golden/README.md).
#
#   sh tests/golden/regen.sh           rewrite tests/golden/<scenario>/<capture>/
#   sh tests/golden/regen.sh --check   write them to a temporary folder and compare
#                                      byte for byte with the stored ones; prints each
#                                      file that differs (and its first differing line),
#                                      is missing or is extra; exit 1 if any
#
# Per capture samples/<scenario>/<stem>.pcap, with the scenario's tunnel.xml:
#   events.tsv                  leakscope events --tunnel tunnel.xml
#   summary.xml, index.html,    leakscope analyze --tunnel tunnel.xml
#   hosts/<host>.xml, .html
# and without a description (suggested from the capture, "auto"):
#   auto/events.tsv             leakscope events (no description: path unknown)
#   auto/summary.xml,           leakscope analyze (the description suggested)
#   auto/hosts/<host>.xml       (no HTML, to keep the size down)
# The reports name the captures by the relative paths given and record the
# command line (chain of custody): every run is "leakscope ..." from PATH in a
# scratch folder with samples/ linked, in both modes; LEAKSCOPE overrides
# ./leakscope.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
export TZ=UTC
ls=${LEAKSCOPE:-./leakscope}
mode=write
[ "${1:-}" = "--check" ] && mode=check
[ -x "$ls" ] || { echo "regen.sh: $ls not built (make leakscope)" >&2; exit 2; }

# The reports' chain of custody holds the command line as given, so both
# modes run the same words: "leakscope" from PATH, in a scratch folder where
# samples/ is the checkout's, writing to golden/<scenario>/<capture>.
case $ls in /*) ;; *) ls=$top/$ls ;; esac
work=$(mktemp -d /tmp/ls-golden-XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" && ln -s "$ls" "$work/bin/leakscope" && ln -s "$top/samples" "$work/samples" || exit 2
if [ $mode = write ]; then
	# only the generated folders: README.md and this script stay
	for d in tests/golden/*/; do [ -d "$d" ] && rm -rf "$d"; done
fi
out=golden

# run CMD...: exit status 0 (no leak), 1 (leaks), 3 (undecided) and 4
# (incomplete) are results; 2 (unusable input) is not
run() {
	"$@" 2>/dev/null
	rc=$?
	if [ $rc -eq 2 ] || [ $rc -gt 4 ]; then echo "regen.sh: failed ($rc): $*" >&2; exit 2; fi
}

n=0
cd "$work" || exit 2
for cap in samples/*/*.pcap; do
	[ -f "$cap" ] || continue
	sdir=$(dirname "$cap")
	scen=$(basename "$sdir")
	stem=$(basename "$cap" .pcap)
	g=$out/$scen/$stem
	# analyze replaces a report folder whole (and refuses one that is not
	# a report): the reports first, the files beside them after
	mkdir -p "$(dirname "$g")"
	rm -rf "$g"
	run env PATH="$work/bin:$PATH" leakscope analyze -q --tunnel "$sdir/tunnel.xml" -o "$g" "$cap"
	run env PATH="$work/bin:$PATH" leakscope analyze -q -o "$g/auto" "$cap"
	run env PATH="$work/bin:$PATH" leakscope events --tunnel "$sdir/tunnel.xml" -o "$g/events.tsv" "$cap"
	run env PATH="$work/bin:$PATH" leakscope events -o "$g/auto/events.tsv" "$cap"
	rm -f "$g"/auto/index.html "$g"/auto/hosts/*.html
	n=$((n + 1))
done
cd "$top" || exit 2
out=$work/golden
if [ $mode = write ] && [ $n -gt 0 ]; then
	cp -R "$out"/. tests/golden/ || exit 2
fi
[ $n -gt 0 ] || { echo "regen.sh: no captures under samples/" >&2; exit 2; }

if [ $mode = write ]; then
	echo "regen.sh: $n captures written to tests/golden ($(du -sh tests/golden | cut -f1))"
	exit 0
fi

bad=0
for f in $(cd tests/golden && find . -type f ! -name regen.sh ! -name README.md | sort); do
	if [ ! -f "$out/$f" ]; then
		echo "golden: ${f#./}: no longer written"; bad=$((bad + 1)); continue
	fi
	if ! cmp -s "tests/golden/$f" "$out/$f"; then
		line=$(cmp "tests/golden/$f" "$out/$f" 2>&1 | sed -n 's/.* line \([0-9]*\).*/\1/p')
		echo "golden: ${f#./} differs at line ${line:-?}:"
		[ -n "$line" ] && {
			printf '  golden: %s\n' "$(sed -n "${line}p" "tests/golden/$f" | cut -c1-300)"
			printf '  now:    %s\n' "$(sed -n "${line}p" "$out/$f" | cut -c1-300)"
		}
		bad=$((bad + 1))
	fi
done
for f in $(cd "$out" && find . -type f | sort); do
	[ -f "tests/golden/$f" ] || { echo "golden: ${f#./}: new file, not in tests/golden"; bad=$((bad + 1)); }
done
if [ $bad -gt 0 ]; then
	echo "golden: $bad file(s) differ from tests/golden ($n captures); if the change is meant, run sh tests/golden/regen.sh and say why in the commit"
	exit 1
fi
echo "golden: $n captures, every file byte-identical to tests/golden"
