#!/usr/bin/env bash
# Run the whole test suite from a fresh Debian 12 clone, as root:
#   install-script lint, unit tests (ctest), the same under ASan+UBSan, a
#   short libFuzzer run, pg_regress, TAP and Python.
# Installs what it needs with apt, builds and installs the extension, starts a
# throwaway cluster on a unix socket, and exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

JOBS=${JOBS:-2}
PORT=${VX_TEST_PORT:-55432}
failed=()
passed=()
stage() { # stage NAME CMD...: run one suite, remember the outcome
	local name=$1
	shift
	echo
	echo "=== $name"
	if "$@"; then passed+=("$name"); else failed+=("$name"); fi
}

"$REPO/scripts/install-deps.sh" || { echo "dependency installation failed"; exit 1; }

# Build the extension and install it system-wide.
make -j"$JOBS" >/dev/null && make install >/dev/null || { echo "extension build failed"; exit 1; }

unit() {
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DVX_BENCHMARKS=ON >/dev/null &&
		cmake --build build/release -j"$JOBS" >/dev/null &&
		(cd build/release && ctest --output-on-failure -j"$JOBS")
}
sanitizers() {
	cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=Debug -DVX_SANITIZE=ON -DVX_BENCHMARKS=OFF >/dev/null &&
		cmake --build build/sanitize -j"$JOBS" >/dev/null &&
		(cd build/sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$JOBS")
}
lint_sql() { # the install and upgrade scripts, and the lint's own samples
	"$REPO/scripts/lint-sql.sh" --self-test
}
fuzz_short() { # libFuzzer targets (clang-14, ASan+UBSan); the long run is scripts/fuzz-long.sh
	"$REPO/test/fuzz/run.sh" "${VX_FUZZ_SECONDS:-20}"
}
stage "install-script lint" lint_sql
stage "unit tests (ctest)" unit
stage "unit tests under ASan+UBSan" sanitizers
stage "libFuzzer (short run)" fuzz_short

# pg_regress and TAP run as the postgres user from a copy it owns.
WORK=$(mktemp -d /tmp/vector_ext-test.XXXXXX)
trap 'cluster_stop "$WORK/cluster"; rm -rf "$WORK"' EXIT
tar --exclude=./build --exclude=./.cluster --exclude=./results --exclude=./tmp_check -cf - . | tar -xf - -C "$WORK"
mkdir -p "$WORK/cluster"
chown -R postgres: "$WORK"
cluster_start "$WORK/cluster" "$PORT" || { echo "could not start the test cluster"; exit 1; }

regress_and_tap() {
	(cd "$WORK" && as_postgres make installcheck PGHOST="$WORK/cluster" PGPORT="$PORT" PGUSER=postgres \
		PROVE_FLAGS="--timer")
	local rc=$?
	[ $rc -ne 0 ] && [ -f "$WORK/regression.diffs" ] && cat "$WORK/regression.diffs"
	[ $rc -ne 0 ] && for f in "$WORK"/tmp_check/log/regress_log_*; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }
	done
	return $rc
}
python_tests() {
	VX_PGHOST="$WORK/cluster" VX_PGPORT="$PORT" /usr/bin/python3 -m pytest -q -p no:cacheprovider test/python
}
stage "pg_regress and TAP" regress_and_tap
stage "python client tests" python_tests

echo
echo "passed: ${passed[*]:-none}"
echo "failed: ${failed[*]:-none}"
echo "suites: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
