#!/usr/bin/env bash
# The long fuzzing run (scripts/test.sh runs a short one):
#   scripts/fuzz-long.sh [SECONDS_PER_TARGET]        (default 1800)
#
# 1. The libFuzzer targets (test/fuzz: text parser, binary codec, HNSW core;
#    clang-14 with ASan + UBSan) for SECONDS_PER_TARGET each, VX_FUZZ_JOBS
#    processes per target (default 2).  New corpus entries collect in
#    build/fuzz/corpus-*; crashing inputs in build/fuzz/artifacts-*/.
# 2. The SQL mutation fuzzer (test/t/020_sql_fuzz.pl) against the installed
#    extension with VX_SQL_FUZZ_CASES text literals (default 60000) and
#    VX_SQL_FUZZ_BINARY_CASES binary payloads (default 30000), seeded by
#    VX_SQL_FUZZ_SEED (default: random; printed, so a failure can be re-run).
#    Skip it with VX_FUZZ_SQL=0.
#
# Run as root from the repository after `make install` (the TAP test runs as
# the postgres user from a copy of the tree).  Exits non-zero on any finding.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

SECONDS_PER_TARGET=${1:-1800}
failed=0

echo "=== libFuzzer: ${SECONDS_PER_TARGET}s per target, ${VX_FUZZ_JOBS:-2} jobs each"
VX_FUZZ_JOBS=${VX_FUZZ_JOBS:-2} "$REPO/test/fuzz/run.sh" "$SECONDS_PER_TARGET" || failed=1

if [ "${VX_FUZZ_SQL:-1}" != 0 ]; then
	seed=${VX_SQL_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	cases=${VX_SQL_FUZZ_CASES:-60000}
	bcases=${VX_SQL_FUZZ_BINARY_CASES:-30000}
	echo "=== SQL mutation fuzzer: $cases literals, $bcases binary payloads, seed $seed"
	if [ ! -f "$(pg_config --sharedir)/extension/vector_ext.control" ]; then
		echo "vector_ext is not installed: run make install first"
		exit 1
	fi
	work=$(mktemp -d /tmp/vector_ext-fuzz-long.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	tar --exclude=./build --exclude=./.cluster --exclude=./results --exclude=./tmp_check -cf - . | tar -xf - -C "$work"
	chown -R postgres: "$work"
	if ! (cd "$work" && as_postgres env VX_SQL_FUZZ_SEED="$seed" VX_SQL_FUZZ_CASES="$cases" \
		VX_SQL_FUZZ_BINARY_CASES="$bcases" make installcheck REGRESS= \
		PROVE_TESTS=test/t/020_sql_fuzz.pl PROVE_FLAGS=--timer); then
		echo "SQL fuzzer FAILED (seed $seed); log:"
		tail -n 60 "$work"/tmp_check/log/regress_log_020_sql_fuzz
		failed=1
	fi
fi
exit $failed
