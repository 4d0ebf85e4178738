#!/usr/bin/env bash
# Install everything vector_ext needs to build, test and benchmark, from
# Debian 12's apt only.  Idempotent: does nothing when all is present.
set -euo pipefail

PACKAGES=(
	build-essential g++ cmake clang-14 clang-format libclang-rt-14-dev
	postgresql-15 postgresql-server-dev-15 postgresql-client-15 postgresql-contrib libipc-run-perl
	libeigen3-dev libgtest-dev libbenchmark-dev
	python3-psycopg python3-numpy python3-pytest python3-hnswlib
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian starts a default cluster on install; we never use it (our clusters
# are throwaway ones on unix sockets), so leave it stopped.
if command -v pg_lsclusters >/dev/null 2>&1; then
	pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2}' | while read -r v n; do
		pg_ctlcluster "$v" "$n" stop || true
	done
fi
