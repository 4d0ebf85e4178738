#!/usr/bin/env bash
# The SQL-level ANN benchmark in one command, from a fresh Debian 12 clone, as
# root: install what is needed, build and install vector_ext, start a
# throwaway cluster tuned for benchmarking (unix socket only, in
# bench/out/cluster), run bench/ann_bench.py against it with the arguments
# given here, and stop the cluster at the end.
#
#   scripts/bench.sh --quick                        20k rows, 200 queries: a few minutes
#   scripts/bench.sh                                gmm-100k-128, 1,000 queries
#   scripts/bench.sh --dataset gmm-100k-768-cos     see --help for all options
#
# The cluster runs from a snapshot of the PostgreSQL installation (with
# vector_ext) copied to bench/out/pg-snapshot after installing, so that a
# `make install` during the run (which rewrites vector_ext.so in place) cannot
# change the code under the running server.
#
# Environment: VX_BENCH_PORT (default 55434); VX_BENCH_INSTALL=0 measures the
# vector_ext already installed instead of building and installing this tree;
# VX_BENCH_SNAPSHOT=0 runs the installed server directly.
# Results are appended to bench/out/ann.jsonl (JSON lines).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

case "${1:-}" in
-h | --help)
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
	echo
	exec /usr/bin/python3 "$REPO/bench/ann_bench.py" --help
	;;
esac

PORT=${VX_BENCH_PORT:-55434}

"$REPO/scripts/install-deps.sh"
if [ "${VX_BENCH_INSTALL:-1}" != 0 ]; then
	make -j2 >/dev/null
	make install >/dev/null
fi

mkdir -p "$REPO/bench/out"
if [ "${VX_BENCH_SNAPSHOT:-1}" != 0 ]; then
	# PostgreSQL finds its lib and share directories relative to its
	# binaries, so a copy keeping the layout is a self-contained installation.
	SNAP="$REPO/bench/out/pg-snapshot"
	bindir=$(pg_config --bindir)
	libdir=$(pg_config --pkglibdir)
	sharedir=$(pg_config --sharedir)
	rm -rf "$SNAP"
	for d in "$(dirname "$bindir")" "$sharedir"; do
		mkdir -p "$SNAP$(dirname "$d")"
		cp -a "$d" "$SNAP$d"
	done
	if [ "$("$SNAP$bindir/pg_config" --pkglibdir)" != "$SNAP$libdir" ] ||
		[ ! -f "$SNAP$libdir/vector_ext.so" ]; then
		echo "the snapshot of the installation in $SNAP is not self-contained;" \
			"rerun with VX_BENCH_SNAPSHOT=0" >&2
		exit 1
	fi
	PG_BINDIR="$SNAP$bindir"
	echo "running the cluster from a snapshot of the installation: $SNAP$bindir" \
		"(vector_ext.so $(sha256sum "$SNAP$libdir/vector_ext.so" | cut -c1-16))"
fi
DIR=$(postgres_workdir bench/out/cluster)
trap 'cluster_stop "$DIR"; echo "stopped the benchmark cluster in $DIR"' EXIT
cluster_start "$DIR" "$PORT"
PSQL=(psql -X -q -h "$DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1)
# Settings for benchmarking, applied with a restart (cluster_start already
# runs it with fsync = off and no TCP listener).
"${PSQL[@]}" <<'SQL'
ALTER SYSTEM SET shared_buffers = '2GB';
ALTER SYSTEM SET maintenance_work_mem = '2GB';
ALTER SYSTEM SET max_wal_size = '20GB';
ALTER SYSTEM SET checkpoint_timeout = '30min';
SQL
as_postgres "$PG_BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w restart >/dev/null
"${PSQL[@]}" -c "CREATE DATABASE ann_bench"

echo "benchmark cluster: PostgreSQL $("${PSQL[@]}" -Atc 'SHOW server_version') on socket $DIR port $PORT;" \
	"shared_buffers $("${PSQL[@]}" -Atc 'SHOW shared_buffers'), maintenance_work_mem 2GB," \
	"max_wal_size 20GB, checkpoint_timeout 30min."
echo "NOTE: this throwaway cluster runs with fsync = off (acceptable for a benchmark whose data" \
	"is regenerated on every run; never for data you keep)."
echo "machine: $(nproc) CPUs; $(uptime)"

/usr/bin/python3 "$REPO/bench/ann_bench.py" --host "$DIR" --port "$PORT" --dbname ann_bench "$@"
