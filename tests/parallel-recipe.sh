#!/bin/sh
# parallel-recipe.sh - the README's scale-out recipe, run locally: split a sample
# capture with editcap, analyse the pieces with GNU parallel (-j2, as
# `parallel --sshlogin ...` would on many machines), merge the partials, and
# check the reports equal one run over the same pieces (but for the chain of
# custody, which names the files each read).  Skips (exit 0) when
# editcap or parallel is missing.
# usage: parallel-recipe.sh LEAKSCOPE
set -eu
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
for tool in editcap parallel; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "parallel-recipe: SKIP: $tool not installed"
		exit 0
	fi
done
work=$(mktemp -d /tmp/ls-recipe.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
for s in wg-killswitch dns-tcp-multi gateway-two-clients; do
	desc="$top/samples/$s/tunnel.xml"
	mkdir -p "$work/$s"
	editcap -c 10 "$top/samples/$s/any.pcap" "$work/$s/piece.pcap"
	pieces=$(ls "$work/$s"/piece_*.pcap)
	# the recipe: one partial per piece, in parallel; then one merge
	parallel --will-cite -j2 "$bin" analyze -q --tunnel "$desc" --partial {}.lsp {} ::: $pieces
	parts=$(for p in $pieces; do echo "$p.lsp"; done)
	"$bin" merge -q --tunnel "$desc" -o "$work/$s/merged" $parts || [ $? -eq 1 ]
	"$bin" analyze -q --tunnel "$desc" -o "$work/$s/one" $pieces || [ $? -eq 1 ]
	# the chain of custody differs by design (the command, the files
	# read: pieces or partials, their digests): everything else must not
	for d in one merged; do
		sed -i '/^  <custody>$/,/^  <\/custody>$/d' "$work/$s/$d/summary.xml"
		sed -i 's/,"custody":.*$/}/' "$work/$s/$d/summary.json"
		sed -i '/^<section class="custody" id="custody">$/,/^<\/section>$/d' "$work/$s/$d/index.html"
	done
	if diff -r "$work/$s/one" "$work/$s/merged" >/dev/null; then
		echo "parallel-recipe: $s: $(echo $pieces | wc -w) pieces, merged reports identical to one run"
	else
		echo "parallel-recipe: $s: merged reports DIFFER from one run" >&2
		diff -r "$work/$s/one" "$work/$s/merged" | head -20 >&2
		fail=1
	fi
done
exit $fail
