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

# pgbouncer_start STATE_DIR DATABASE_URL [POOL_MODE]: Debian's PgBouncer on a free port of
# 127.0.0.1 in front of the server DATABASE_URL names, for any database on it (`*`), in
# POOL_MODE (default transaction); prints the URL of DATABASE_URL's database and user through
# it. Authentication: trust for the users of DATABASE_URL (the test servers trust 127.0.0.1).
pgbouncer_start() {
    local state=$1 url=$2 mode=${3:-transaction}
    local bin port fields user host pg_port db
    bin=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    [ -x "$bin" ] || { echo "pgbouncer not found (scripts/install-deps installs it)" >&2; return 1; }
    fields=$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.username or "berth", p.hostname or "127.0.0.1", p.port or 5432, p.path.lstrip("/") or "berth")' "$url")
    read -r user host pg_port db <<<"$fields"
    port=$(free_port)
    mkdir -p "$state"
    printf '"%s" ""\n' "$user" >"$state/userlist.txt"
    cat >"$state/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $state/userlist.txt
pool_mode = $mode
max_client_conn = 1000
default_pool_size = 20
logfile = $state/pgbouncer.log
pidfile = $state/pgbouncer.pid
admin_users = $user
INI
    if [ "$(id -u)" = 0 ]; then
        # PgBouncer refuses to run as root: the server's user runs it, as it runs PostgreSQL.
        id -u "${BERTH_PG_USER:-postgres}" >/dev/null 2>&1 || useradd --system --no-create-home "${BERTH_PG_USER:-postgres}"
        chmod o+x "$(dirname "$state")"
        chown -R "${BERTH_PG_USER:-postgres}" "$state"
    fi
    as_pg_user "$bin" -d -q "$state/pgbouncer.ini" || { cat "$state/pgbouncer.log" >&2; return 1; }
    python3 - "$port" <<'PY' || { cat "$state/pgbouncer.log" >&2; return 1; }
import socket, sys, time
deadline = time.time() + 20
while True:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        if time.time() > deadline:
            sys.exit("pgbouncer is not accepting connections after 20 s")
        time.sleep(0.05)  # polling for the daemon's socket, up to the deadline
PY
    echo "postgresql://$user@127.0.0.1:$port/$db"
}

# pgbouncer_stop STATE_DIR: stops the PgBouncer pgbouncer_start started there.
pgbouncer_stop() {
    local state=$1 pid
    [ -f "$state/pgbouncer.pid" ] || return 0
    pid=$(cat "$state/pgbouncer.pid")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
}
