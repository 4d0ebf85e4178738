#!/usr/bin/env bash
# Run the libFuzzer targets for a while each and fail on any crash, leak,
# timeout or property violation.
#   test/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 25; text binary hnsw)
# Environment: VX_FUZZ_OUT (build and work directory, default build/fuzz),
# VX_FUZZ_JOBS (parallel fuzzing processes per target, default 1).
# New corpus entries collect in OUT/corpus-TARGET (the committed seeds in
# test/fuzz/corpus/TARGET are only read); crashing inputs are saved in
# OUT/artifacts-TARGET/ and printed.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${VX_FUZZ_OUT:-$REPO/build/fuzz}
SECONDS_PER_TARGET=${1:-25}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(text binary hnsw)
JOBS=${VX_FUZZ_JOBS:-1}

"$REPO/test/fuzz/build.sh" "$OUT" || exit 1

declare -A MAXLEN=([text]=4096 [binary]=8192 [hnsw]=8192)
declare -A DICT=([text]="-dict=$REPO/test/fuzz/text.dict" [binary]="" [hnsw]="")
failed=0
for t in "${TARGETS[@]}"; do
	bin="$OUT/fuzz_$t"
	[ -x "$bin" ] || { echo "no fuzz target $t"; failed=1; continue; }
	work="$OUT/corpus-$t"
	art="$OUT/artifacts-$t"
	log="$OUT/fuzz-$t.log"
	mkdir -p "$work" "$art"
	args=(-max_total_time="$SECONDS_PER_TARGET" -max_len="${MAXLEN[$t]}" -timeout=10
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" ${DICT[$t]})
	if [ "$JOBS" -gt 1 ]; then
		# -jobs runs separate processes that share the corpus directory
		args+=(-jobs="$JOBS" -workers="$JOBS")
	fi
	before=$(find "$art" -type f | wc -l)
	rm -f "$OUT"/fuzz-[0-9]*.log
	# in OUT: with -jobs, libFuzzer writes each job's log (fuzz-N.log) to the cwd
	(cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" "${args[@]}" "$work" "$REPO/test/fuzz/corpus/$t" >"$log" 2>&1)
	rc=$?
	if [ "$JOBS" -gt 1 ]; then
		cat "$OUT"/fuzz-[0-9]*.log >>"$log" 2>/dev/null
		rm -f "$OUT"/fuzz-[0-9]*.log
	fi
	after=$(find "$art" -type f | wc -l)
	runs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
	rate=$(grep -h 'stat::average_exec_per_sec' "$log" | awk '{s += $2} END {print s + 0}')
	cov=$(grep -ho 'cov: [0-9]*' "$log" | tail -n 1)
	echo "fuzz_$t: ${SECONDS_PER_TARGET}s, $runs executions, $rate exec/s, $cov, corpus $(find "$work" -type f | wc -l) files, exit $rc"
	if [ $rc -ne 0 ] || [ "$after" -gt "$before" ] || grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|property violated' "$log"; then
		echo "fuzz_$t FAILED; log $log:"
		grep -E -A 30 'ERROR:|runtime error:|property violated' "$log" | head -n 80
		echo "crashing inputs (reproduce with: $bin FILE):"
		find "$art" -type f -newer "$bin" | head
		failed=1
	fi
done
exit $failed
