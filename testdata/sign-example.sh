#!/usr/bin/env bash
# Re-sign testdata/profiles/example.toml after editing it, the way a
# continuity team signs a profile: with Debian's minisign tool. The key is
# thrown away afterwards; only its public half is kept (testdata/keys/).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
minisign -G -W -p keys/example.pub -s "$tmp/example.key" -f >/dev/null
minisign -S -s "$tmp/example.key" -m profiles/example.toml -x profiles/example.toml.minisig \
  -t "Relais testdata example profile" >/dev/null
minisign -V -p keys/example.pub -m profiles/example.toml -x profiles/example.toml.minisig
