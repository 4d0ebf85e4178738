#!/usr/bin/env bash
# Build the libFuzzer targets over the core's text parser and binary codec
# with clang-14, AddressSanitizer and UndefinedBehaviorSanitizer.
#   test/fuzz/build.sh [OUTDIR]     (default: build/fuzz in the repository)
# Binaries: OUTDIR/fuzz_text, OUTDIR/fuzz_binary, OUTDIR/fuzz_hnsw (see
# test/fuzz/Makefile).  Run one on a file to reproduce a crash:
# OUTDIR/fuzz_text crash-<sha1>.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$REPO/build/fuzz}
CXX=${VX_FUZZ_CXX:-clang++-14}

# libFuzzer's runtime is in libclang-rt-14-dev, which clang-14 only recommends.
if ! "$CXX" -fsanitize=fuzzer -x c++ - -o /dev/null >/dev/null 2>&1 <<<'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }'; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing libclang-rt-14-dev for libFuzzer"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
	else
		echo "$CXX cannot link libFuzzer programs (install clang-14 and libclang-rt-14-dev)" >&2
		exit 1
	fi
fi

mkdir -p "$OUT"
make -s -C "$REPO/test/fuzz" -j"${JOBS:-2}" OUT="$OUT" CXX="$CXX"
