#!/bin/sh
# demo.sh - analyse every bundled sample with its tunnel description; say where the reports are.
# usage: sh samples/demo.sh LEAKSCOPE OUT_DIR
set -u
bin=${1:-./leakscope}
out=${2:-reports/out}
here=$(dirname "$0")
mkdir -p "$out"
n=0
for desc in "$here"/*/tunnel.xml; do
	[ -f "$desc" ] || continue
	dir=$(dirname "$desc")
	name=$(basename "$dir")
	for cap in "$dir"/*.pcap "$dir"/*.pcapng; do
		[ -f "$cap" ] || continue
		kind=$(basename "$cap" | sed 's/\.pcap.*$//')
		dest="$out/$name/$kind"
		TZ=UTC "$bin" analyze --quiet --tunnel "$desc" -o "$dest" "$cap"
		rc=$?
		case $rc in
		0) verdict="no leak" ;;
		1) verdict="LEAKS" ;;
		3) verdict="UNDECIDED (exit 3)" ;;
		4) verdict="INCOMPLETE (exit 4)" ;;
		*) verdict="unusable input (exit $rc)" ;;
		esac
		printf '%-28s %-6s %-26s %s/index.html\n' "$name" "$kind" "$verdict" "$dest"
		n=$((n + 1))
	done
done
if [ "$n" = 0 ]; then
	echo "demo: no samples found under $here" >&2
	exit 1
fi
echo
echo "demo: $n analyses; reports are under $out/: open <scenario>/<capture>/index.html in a browser (XML beside it: summary.xml, hosts/<host>.xml)"
