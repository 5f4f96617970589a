#!/usr/bin/env bash
# Sourced by .ci/run and scripts/quickstart.sh. Sets TEST_DATABASE_URL to a reachable PostgreSQL server:
# the one already listening on 127.0.0.1:5432 when there is one, else a private cluster of Debian's
# postgresql package run by a non-root user on port 54329 (PostgreSQL refuses to run as root).

pg_reachable() {
  node -e '
    const net = require("node:net");
    const s = net.connect({ host: "127.0.0.1", port: Number(process.argv[1]) });
    s.setTimeout(2000);
    s.on("connect", () => { s.destroy(); process.exit(0); });
    s.on("error", () => process.exit(1));
    s.on("timeout", () => process.exit(1));
  ' "$1"
}

ensure_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then return 0; fi
  if pg_reachable 5432; then
    TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/postgres"
    return 0
  fi
  local port=54329
  local datadir=/tmp/smartstock-pg
  if ! pg_reachable "$port"; then
    local bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$bindir" ]; then
      echo "no PostgreSQL server found: installing Debian's postgresql"
      if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
      bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    local runas=()
    if [ "$(id -u)" = 0 ]; then
      id smartstockpg >/dev/null 2>&1 || useradd --system --no-create-home smartstockpg
      runas=(runuser -u smartstockpg --)
    fi
    rm -rf "$datadir" && mkdir -p "$datadir"
    [ "$(id -u)" = 0 ] && chown smartstockpg "$datadir"
    "${runas[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres --auth=trust >/dev/null
    "${runas[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w \
      -o "-p $port -k $datadir -c listen_addresses=127.0.0.1" start >/dev/null
  fi
  TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}
