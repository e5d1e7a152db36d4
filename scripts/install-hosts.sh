#!/usr/bin/env bash
# The Python hosts the host tests run the connector in (n8n, an npm install, is
# scripts/install-n8n.sh): PyAirbyte (the project's pin, 0.12.1, and the
# current release, each with airbyte-protocol-models),
# Meltano, and target-jsonl as Meltano's loader. Each gets a virtual environment of its own (their
# pins conflict), installed from PyPI with the exact versions in test/hosts/requirements-*.txt and
# kept between runs: a venv is made again only when its requirements file changes.
# The directory: $IMAP_CONNECTOR_HOSTS_DIR, else /var/cache/imap-connector-test/hosts as root,
# else ~/.cache/imap-connector-test/hosts. Quiet unless pip fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${IMAP_CONNECTOR_HOSTS_DIR:-}" ]; then
  root=$IMAP_CONNECTOR_HOSTS_DIR
elif [ "$(id -u)" -eq 0 ]; then
  root=/var/cache/imap-connector-test/hosts
else
  root=${XDG_CACHE_HOME:-$HOME/.cache}/imap-connector-test/hosts
fi
mkdir -p "$root"

for name in airbyte airbyte-current meltano target-jsonl; do
  requirements=test/hosts/requirements-$name.txt
  stamp=$(sha256sum "$requirements" | cut -c1-16)
  venv=$root/$name
  if [ "$(cat "$venv/.installed" 2>/dev/null || true)" = "$stamp" ]; then continue; fi
  echo "Installing the $name host into $venv (pip, from PyPI) ..."
  rm -rf "$venv"
  log=$(mktemp)
  if ! { python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "$stamp" >"$venv/.installed"
done
