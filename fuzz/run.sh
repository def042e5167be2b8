#!/bin/sh
# Runs every libFuzzer target for SECONDS each:
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]    (TARGET: parse, reader, ...)
# BUILD_DIR is a -Dfuzz=true build (see fuzz/meson.build). Corpora are
# fuzz/corpus-<target>/ (made by fuzz/seeds.sh if missing; new finds are
# added there) plus the committed fuzz/seeds/<target>/. Crash, leak,
# timeout and OOM inputs go to BUILD_DIR/fuzz-artifacts/<target>/, each
# run's log to BUILD_DIR/fuzz-artifacts/<target>.log. Prints the execs and
# the outcome per target; exits 1 if any target found something.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
	exit 64
fi
build=$(cd "$1" && pwd)
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=${*:-parse reader results csv classify awsconfig credprocess eks clientmsg esc k8s kubeconfig awsauth logs raw}

missing=
for t in $targets; do
	[ -x "$build/fuzz/fuzz_$t" ] || {
		echo "$0: $build/fuzz/fuzz_$t not built (configure with -Dfuzz=true, run ninja)" >&2
		exit 66
	}
	[ -d "$here/corpus-$t" ] || missing=1
done
[ -z "$missing" ] || "$here/seeds.sh"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

arts=$build/fuzz-artifacts
failed=0
summary=
for t in $targets; do
	max_len=65536
	[ "$t" = reader ] && max_len=1048576
	mkdir -p "$arts/$t"
	log=$arts/$t.log
	before=$(find "$arts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	echo "== fuzz_$t: ${secs}s" >&2
	rc=0
	"$build/fuzz/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=1024 -max_len="$max_len" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$arts/$t/" \
		"$here/corpus-$t" "$here/seeds/$t" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	after=$(find "$arts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		failed=1
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		result="FOUND (exit $rc) ${art:-see $log}"
		# the sanitizer's or libFuzzer's one-line summary and the top frames
		grep -E '^(SUMMARY|==[0-9]+==ERROR)|check failed|runtime error|^ *#[0-5] ' "$log" | head -n 12 >&2 || true
	else
		result=ok
	fi
	summary="$summary$(printf '%-8s execs=%-10s exec/s=%-7s cov=%-6s %s' "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$result")
"
done
printf '%s' "$summary"
exit "$failed"
