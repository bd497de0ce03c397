# Shared helpers for Berth's scripts: a private PostgreSQL in a temp folder.
# Sourced, not run. Everything listens on 127.0.0.1 only.

berth_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    command -v initdb >/dev/null && { dirname "$(command -v initdb)"; return 0; }
    echo "PostgreSQL server binaries not found (apt-get install postgresql-15)" >&2
    return 1
}

# Runs a command as the unprivileged user that owns the cluster (initdb refuses root).
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "${BERTH_PG_USER:-postgres}" -- "$@"
    else
        "$@"
    fi
}

# pg_start STATE_DIR [extra postgres -c settings...]: initdb + start; prints DATABASE_URL.
pg_start() {
    local state=$1; shift
    local bin port
    bin=$(pg_bindir) || return 1
    port=$(free_port)
    mkdir -p "$state"
    if [ "$(id -u)" = 0 ]; then
        id -u "${BERTH_PG_USER:-postgres}" >/dev/null 2>&1 || useradd --system --no-create-home "${BERTH_PG_USER:-postgres}"
        # mktemp makes 0700 folders: the server's user must be able to reach its own.
        chmod o+x "$(dirname "$state")"
        chown "${BERTH_PG_USER:-postgres}" "$state"
        chmod 700 "$state"
    fi
    as_pg_user "$bin/initdb" -D "$state/data" -U berth --auth=trust -E UTF8 --no-sync >"$state/initdb.log" 2>&1 \
        || { cat "$state/initdb.log" >&2; return 1; }
    local settings=(-c listen_addresses=127.0.0.1 -c "port=$port" -c "unix_socket_directories=$state"
                    -c max_connections=100 -c shared_buffers=256MB "$@")
    as_pg_user "$bin/pg_ctl" -D "$state/data" -l "$state/postgres.log" -w -t 60 \
        -o "$(printf '%q ' "${settings[@]}")" start >/dev/null || { cat "$state/postgres.log" >&2; return 1; }
    echo "$port" >"$state/port"
    as_pg_user "$bin/psql" -h 127.0.0.1 -p "$port" -U berth -d postgres -qc "create database berth" >/dev/null
    echo "postgresql://berth@127.0.0.1:$port/berth"
}

pg_stop() {
    local state=$1 bin
    bin=$(pg_bindir) || return 1
    [ -d "$state/data" ] && as_pg_user "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1
    return 0
}
