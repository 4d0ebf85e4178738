# Shared helpers for the scripts (sourced, not run).

PG_BINDIR=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

as_postgres() { runuser -u postgres -- "$@"; }

# A directory the postgres user can write: inside the repository when the
# postgres user can reach it, else under /tmp.
postgres_workdir() {
	local name=$1 dir
	if as_postgres test -x "$REPO"; then
		dir="$REPO/$name"
	else
		dir="/tmp/vector_ext-$name"
	fi
	mkdir -p "$dir"
	chown postgres: "$dir"
	echo "$dir"
}

# cluster_start DIR PORT: a fresh throwaway cluster listening only on a unix
# socket in DIR.
cluster_start() {
	local dir=$1 port=$2
	cluster_stop "$dir"
	rm -rf "$dir/data"
	as_postgres "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres --no-sync >/dev/null
	as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -p $port -c fsync=off" start >/dev/null
}

cluster_stop() {
	local dir=$1
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_postgres "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
}
