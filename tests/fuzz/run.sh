#!/bin/sh
# run.sh - runs libFuzzer targets built by make fuzz, one after the other, and prints one stats line each.
#
# Usage: sh tests/fuzz/run.sh BUILD_DIR TARGET...
# Environment: FUZZ_SECONDS (default 60) per target; FUZZ_NICE (default 0)
# runs them under nice -n FUZZ_NICE; FUZZ_FLAGS adds libFuzzer flags.
# Each target BUILD_DIR/fuzz/fuzz-TARGET mutates BUILD_DIR/corpus/TARGET
# (kept between runs, not committed) starting from tests/fuzz/TARGET/seeds
# and regressions; a crashing input is written to BUILD_DIR/crashes/TARGET/
# and the full log is BUILD_DIR/logs/TARGET.log.  Exit status 1 when any
# target crashed.
set -u
build=$1
shift
secs=${FUZZ_SECONDS:-60}
nice=${FUZZ_NICE:-0}
failed=""

# Longest input per target: a little over the largest message each parser
# handles whole (DNS over TCP 65535, a ClientHello of TLS_HS_MAX spanning
# records, an HTTP head of DOH_HEAD_MAX plus a body, a rules file is written
# by a person), small enough to keep executions fast.
max_len() {
	case $1 in
	dns) echo 4096 ;;
	dhcp) echo 2048 ;;
	tls) echo 20000 ;;
	doh) echo 20000 ;;
	tcp) echo 8192 ;;
	rules) echo 16384 ;;
	capture | pipeline) echo 65536 ;;
	*) echo 4096 ;;
	esac
}

printf '%-9s %12s %8s %7s %7s %12s %s\n' target executions exec/s cov ft corpus result
for t in "$@"; do
	bin=$build/fuzz/fuzz-$t
	mkdir -p "$build/corpus/$t" "$build/crashes/$t" "$build/logs"
	log=$build/logs/$t.log
	dirs="tests/fuzz/$t/seeds"
	[ -d "tests/fuzz/$t/regressions" ] && dirs="$dirs tests/fuzz/$t/regressions"
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	# shellcheck disable=SC2086 # word splitting of dirs, dict and FUZZ_FLAGS is wanted
	nice -n "$nice" "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$build/crashes/$t/" $dict ${FUZZ_FLAGS:-} \
		"$build/corpus/$t" $dirs >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(echo "$done_line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$done_line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$done_line" | sed -n 's/.* corp: \([^ ]*\).*/\1/p')
	if [ $rc -eq 0 ]; then
		result=ok
	else
		result="CRASH (exit $rc): see $log and $build/crashes/$t/"
		failed="$failed $t"
	fi
	printf '%-9s %12s %8s %7s %7s %12s %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" \
		"${corp:--}" "$result"
	[ -n "$done_line" ] && echo "          $done_line"
done
if [ -n "$failed" ]; then
	echo "fuzz: crashed:$failed" >&2
	exit 1
fi
exit 0
