#!/usr/bin/env bash
# The main job, from a fresh Debian 12 clone, as root: install what is
# needed, build and install vector_ext, start a throwaway cluster inside the
# repository (unix socket only), load a sample table of embeddings and run
# nearest-neighbour queries, printing the rows.
#   scripts/demo.sh          run it (the cluster stays up for you to explore)
#   scripts/demo.sh --stop   stop the cluster
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

PORT=${VX_DEMO_PORT:-55433}
DIR=$(postgres_workdir .cluster)
if [ "${1:-}" = "--stop" ]; then
	cluster_stop "$DIR"
	echo "stopped the cluster in $DIR"
	exit 0
fi

"$REPO/scripts/install-deps.sh"
make -j2 >/dev/null
make install >/dev/null
cluster_start "$DIR" "$PORT"
PSQL=(psql -X -q -h "$DIR" -p "$PORT" -U postgres -v ON_ERROR_STOP=1)

"${PSQL[@]}" -c "CREATE DATABASE demo"
"${PSQL[@]}" -d demo -f "$REPO/scripts/demo.sql"

echo
echo "The cluster is still running. Connect with:"
echo "  psql -h $DIR -p $PORT -U postgres demo"
echo "Stop it with: scripts/demo.sh --stop"
