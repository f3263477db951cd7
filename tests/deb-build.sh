#!/bin/sh
# deb-build.sh - builds the Debian package from a copy of the tree (so the
# working tree and its parent folder get nothing), runs lintian on it, and
# checks the package's files: the binary, both man pages, the completion.
# usage: deb-build.sh OUTDIR
set -eu
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ls-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/leakscope-0.1.0"
(cd "$top" && cp -r Makefile README.md analyzer rules reports man completions debian samples tests "$work/leakscope-0.1.0/")
rm -rf "$work/leakscope-0.1.0/tests/out" "$work/leakscope-0.1.0/reports/out"
(cd "$work/leakscope-0.1.0" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
	tail -30 "$work/build.log" >&2
	exit 1
}
deb=$(ls "$work"/leakscope_*.deb)
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
for f in ./usr/bin/leakscope ./usr/share/man/man1/leakscope.1.gz ./usr/share/man/man5/leakscope-tunnel.5.gz \
	./usr/share/bash-completion/completions/leakscope ./usr/share/leakscope/rules/tunnel.xsd; do
	grep -qx "$f" "$work/files" || { echo "deb-build: $f missing from the package" >&2; exit 1; }
done
lintian --fail-on error,warning "$deb" "$work"/leakscope_*.changes >"$work/lintian.txt" 2>&1 || {
	cat "$work/lintian.txt" >&2
	echo "deb-build: lintian found errors or warnings" >&2
	exit 1
}
# the packaged binary runs from wherever the package is unpacked
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/leakscope" check-rules "$work/root/usr/share/leakscope/rules/examples/wireguard.xml" >/dev/null ||
	{ echo "deb-build: the packaged binary does not check a description" >&2; exit 1; }
mkdir -p "$out"
cp "$deb" "$out/"
echo "deb-build: $out/$(basename "$deb"): lintian: no error, no warning"
cat "$work/lintian.txt"; lintian -I --no-tag-display-limit "$deb" 2>/dev/null | head -20
