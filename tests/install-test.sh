#!/bin/sh
# install-test.sh - make install as a user does it: the sources copied to a
# scratch folder, built and installed there with PREFIX (and DESTDIR), the
# build folder then renamed away, and the installed command run from another
# folder with no LEAKSCOPE_DATADIR: it must check a description and analyse a
# capture with nothing of the build tree left.  man -l must render both
# pages; the bash completion must complete the command names.
# usage: install-test.sh   (from the top of the source tree)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ls-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }
unset LEAKSCOPE_DATADIR || true

mkdir "$work/src"
(cd "$top" && cp -r Makefile README.md analyzer rules reports man completions "$work/src/")
# -O0 without -g: this build proves the layout, not the speed (and debug
# info would name the build folder, which is no path the program uses)
make -s -C "$work/src" CFLAGS=-O0 CI= leakscope >/dev/null
make -s -C "$work/src" install PREFIX="$work/prefix" >/dev/null
make -s -C "$work/src" install PREFIX=/usr DESTDIR="$work/stage" >/dev/null
[ -x "$work/stage/usr/bin/leakscope" ] || fail "DESTDIR: no $work/stage/usr/bin/leakscope"
[ -f "$work/stage/usr/share/man/man5/leakscope-tunnel.5" ] || fail "DESTDIR: no man page"
mv "$work/src" "$work/src-gone"

mkdir "$work/elsewhere"
cp "$top/samples/wg-split/phys.pcap" "$top/samples/wg-split/tunnel.xml" "$work/elsewhere/"
cd "$work/elsewhere"
bin="$work/prefix/bin/leakscope"
grep -aq "$work/src" "$bin" && fail "the binary names its build folder $work/src"
"$bin" check-rules "$work/prefix/share/leakscope/rules/examples/wireguard.xml" >check.out ||
	fail "check-rules on an installed example: $(cat check.out)"
grep -q "valid" check.out || fail "check-rules said: $(cat check.out)"
rc=0
"$bin" analyze --tunnel tunnel.xml -o out phys.pcap >analyze.out 2>&1 || rc=$?
# the README's worked example: 2 leaks in 24 packets, exit 1
[ $rc -eq 1 ] || fail "analyze exit $rc, not 1: $(cat analyze.out)"
grep -q "^LEAKS: 2 leak(s) in 24 packet(s)" analyze.out || fail "analyze said: $(cat analyze.out)"
[ -f out/index.html ] && [ -f out/summary.xml ] || fail "no reports written"

for page in man1/leakscope.1 man5/leakscope-tunnel.5; do
	MANWIDTH=80 man -l "$work/prefix/share/man/$page" >page.txt 2>page.err || fail "man -l $page: $(cat page.err)"
	[ -s page.err ] && fail "man -l $page warns: $(cat page.err)"
	grep -q "^NAME" page.txt || fail "man -l $page has no NAME section"
done
MANPATH="$work/prefix/share/man" man -w leakscope-tunnel >/dev/null || fail "man leakscope-tunnel not found on MANPATH"

got=$(bash -c ". '$work/prefix/share/bash-completion/completions/leakscope'; COMP_WORDS=(leakscope ch); COMP_CWORD=1; _leakscope; echo \${COMPREPLY[*]}")
[ "$got" = "check-rules" ] || fail "completion of 'leakscope ch' gave '$got'"
echo "install-test: installed to PREFIX and DESTDIR; runs with the build tree gone; man pages render; completion works"
