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
# Environment: VX_BENCH_PORT (default 55434); VX_BENCH_INSTALL=0 measures the
# vector_ext already installed instead of building and installing this tree.
# Results are appended to bench/out/ann.jsonl (JSON lines).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

case "${1:-}" in
-h | --help)
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
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
