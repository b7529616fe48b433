#!/usr/bin/env bash
# Makes sure the services that the test suite talks to are up: PostgreSQL with pgvector, and Redis.
# Safe to run repeatedly: every step is skipped when its result is already there.
set -euo pipefail

PGHOST_ADDR=127.0.0.1
pg_up() { pg_isready -h "$PGHOST_ADDR" -p 5432 -q; }
if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

has_vector() {
  [ "$(psql -h "$PGHOST_ADDR" -U postgres -d test -Atc "select count(*) from pg_available_extensions where name = 'vector'")" = "1" ]
}
if has_vector; then
  echo "pgvector: available"
  exit 0
fi

# pgvector is not packaged for this Debian release: build it from Debian's own source package (trixie).
echo "pgvector: building from Debian's source package"
pg_major=$(psql -h "$PGHOST_ADDR" -U postgres -d test -Atc "show server_version_num" | cut -c1-2)
# The Debian mirror this machine's apt already uses (deb822 .sources, else sources.list), so no host
# name is written in the repository.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\// && $i !~ /security/) { print $i; exit } }' \
      /etc/apt/sources.list 2>/dev/null | head -1)
  fi
  echo "$uri"
}
src_list=/etc/apt/sources.list.d/memstore-trixie-src.list
if [ ! -f "$src_list" ]; then
  mirror=$(debian_mirror)
  if [ -z "$mirror" ]; then
    echo "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
    exit 1
  fi
  echo "deb-src $mirror trixie main" > "$src_list"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq dpkg-dev "postgresql-server-dev-${pg_major}" >/dev/null
work=$(mktemp -d)
( cd "$work" && apt-get source --download-only pgvector >/dev/null && tar xf pgvector_*.orig.tar.* )
src_dir=$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)
# Built for this machine's CPU (pgvector's default, -march=native): it runs only here, and the float
# distances every HNSW insert and search computes then use AVX2/AVX-512 rather than SSE2 alone
# (pgvector 0.8 dispatches by CPU only for halfvec and bit). Packagers build with OPTFLAGS="".
make -C "$src_dir" -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" >/dev/null
make -C "$src_dir" -s PG_CONFIG="/usr/lib/postgresql/${pg_major}/bin/pg_config" install >/dev/null
rm -rf "$work"
has_vector && echo "pgvector: installed"
