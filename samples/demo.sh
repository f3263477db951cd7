#!/bin/sh
# demo.sh - analyse every bundled sample with its tunnel description; say where the reports are.
# usage: sh samples/demo.sh LEAKSCOPE OUT_DIR
# Writes OUT_DIR/<scenario>/<capture>/ (one analysis each) and OUT_DIR/index.html,
# a roll-up of them all: leaks first, then the others, each linked.
set -u
bin=${1:-./leakscope}
out=${2:-reports/out}
here=$(dirname "$0")
mkdir -p "$out"
rows=$(mktemp) || exit 2
trap 'rm -f "$rows"' EXIT
# html TEXT: TEXT with & < > " escaped (the names are ours, escaped anyway)
html() { printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }
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
		0) verdict="no leak"; rank=3 ;;
		1) verdict="LEAKS"; rank=0 ;;
		3) verdict="undecided"; rank=1 ;;
		4) verdict="incomplete"; rank=2 ;;
		*) verdict="unusable input (exit $rc)"; rank=4 ;;
		esac
		leaks=$(sed -n 's/^{"generator":"[^"]*","verdict":"[^"]*","leaks":\([0-9]*\).*/\1/p' "$dest/summary.json" 2>/dev/null)
		hosts=$(grep -o '"id":' "$dest/summary.json" 2>/dev/null | wc -l)
		printf '%s\t%s\t<tr><td><a href="%s/%s/index.html">%s / %s</a></td><td class="%s">%s</td><td class="num">%s</td><td class="num">%s</td></tr>\n' \
			"$rank" "$name/$kind" "$(html "$name")" "$(html "$kind")" "$(html "$name")" "$(html "$kind")" \
			"r$rank" "$(html "$verdict")" "${leaks:--}" "$hosts" >>"$rows"
		printf '%-28s %-6s %-26s %s/index.html\n' "$name" "$kind" "$verdict" "$dest"
		n=$((n + 1))
	done
done
if [ "$n" = 0 ]; then
	echo "demo: no samples found under $here" >&2
	exit 1
fi
{
	printf '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
	printf '<title>leakscope demo: %d analyses</title><style>\n' "$n"
	printf 'body{font:14px system-ui,sans-serif;margin:24px;color:#1d232b}table{border-collapse:collapse}'
	printf 'td,th{padding:4px 10px;border-bottom:1px solid #dde2e8;text-align:left}td.num{text-align:right}'
	printf '.r0{color:#b3261e;font-weight:bold}.r1,.r2{color:#8a5a00}.r3{color:#1e7a3a}\n</style></head><body>\n'
	printf '<h1>leakscope demo: %d analyses</h1>\n<p>Each bundled sample analysed with its tunnel description; leaks first, then undecided, incomplete, no leak. Open one for its hosts, timeline and evidence.</p>\n' "$n"
	printf '<table><thead><tr><th>Scenario / capture</th><th>Verdict</th><th>Leaks</th><th>Hosts</th></tr></thead><tbody>\n'
	sort -t "$(printf '\t')" -k1,1n -k2,2 "$rows" | cut -f3-
	printf '</tbody></table>\n</body></html>\n'
} >"$out/index.html"
echo
echo "demo: $n analyses; roll-up in $out/index.html; reports are under $out/: open <scenario>/<capture>/index.html in a browser (XML beside it: summary.xml, hosts/<host>.xml)"
