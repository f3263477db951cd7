#!/bin/sh
# sanitize-corpus.sh - analyze WITHOUT --tunnel (the suggested-description
# path) over every capture of the public corpus and the samples, with the
# AddressSanitizer/UndefinedBehaviorSanitizer binary: no sanitizer report,
# and an exit status in {0,1,3,4} (no leak, leaks, undecided, incomplete).
# Exit 2 (unusable input) is accepted only for the captures listed in
# UNUSABLE below, each with why.  Run by make sanitize.
# usage: sanitize-corpus.sh LEAKSCOPE   (the ASan/UBSan build)
# The corpus: $LS_CORPUS, else $LS_SHARED/corpus, else ../shared/corpus
# beside the checkout; without it only the samples are run, saying so.
set -u
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
corpus=${LS_CORPUS:-${LS_SHARED:+$LS_SHARED/corpus}}
[ -n "$corpus" ] || corpus=$top/../shared/corpus

# Captures that are really unusable: path relative to the corpus | why.
UNUSABLE='
zeek/Traces/dns-inverse-query.pcap|link type 10 (FDDI): not decoded (README "Input")
'

work=$(mktemp -d /tmp/ls-sancorpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=98
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
export TZ=UTC

# A pcap (any byte order, micro or nano) or pcapng file, by its first four bytes.
is_capture() {
	m=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
	case $m in
	a1b2c3d4 | d4c3b2a1 | a1b23c4d | 4d3cb2a1 | 0a0d0d0a) return 0 ;;
	esac
	return 1
}

n=0 fail=0 unusable=0
check() { # check LABEL FILE
	n=$((n + 1))
	rm -rf "$work/r"
	"$bin" analyze -q -o "$work/r" "$2" >"$work/out" 2>"$work/err"
	rc=$?
	if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' -e 'ERROR: LeakSanitizer' "$work/err"; then
		echo "sanitize-corpus: $1: SANITIZER REPORT (exit $rc)" >&2
		head -30 "$work/err" >&2
		fail=$((fail + 1))
		return
	fi
	case $rc in
	0 | 1 | 3 | 4) ;;
	2)
		why=$(printf '%s\n' "$UNUSABLE" | awk -v p="$1" -F'|' '$1 == p { print $2 }')
		if [ -n "$why" ]; then
			unusable=$((unusable + 1))
			echo "sanitize-corpus: $1: exit 2, expected: $why"
		else
			echo "sanitize-corpus: $1: exit 2 (unusable) on a capture not listed as unusable:" >&2
			head -5 "$work/err" >&2
			fail=$((fail + 1))
		fi
		;;
	*)
		echo "sanitize-corpus: $1: exit $rc" >&2
		head -30 "$work/err" >&2
		fail=$((fail + 1))
		;;
	esac
}

for f in $(find "$top/samples" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | LC_ALL=C sort); do
	check "samples/${f#"$top/samples/"}" "$f"
done
if [ -d "$corpus" ]; then
	# file names without newlines (the corpus is ours); spaces are kept
	find "$corpus" -type f | LC_ALL=C sort >"$work/list"
	while IFS= read -r f; do
		is_capture "$f" || continue
		check "${f#"$corpus/"}" "$f"
	done <"$work/list"
else
	echo "sanitize-corpus: SKIP the corpus: $corpus is absent (set LS_CORPUS or LS_SHARED); samples only"
fi
echo "sanitize-corpus: $n capture(s) analysed without --tunnel: $fail failed, $unusable unusable as listed"
[ $fail -eq 0 ]
