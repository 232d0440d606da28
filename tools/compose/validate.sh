#!/usr/bin/env bash
# Checks docker-compose.yml and the Dockerfile without a Docker engine (CI has none), using only
# devDependencies that `npm ci` installs:
#   1. dclint: YAML syntax, the Compose Specification's JSON schema (which it ships), and lint
#      rules (settings in tools/compose/dclint.json); warnings fail too.
#   2. dockerfile-utils lint: Dockerfile syntax and instruction arguments.
#   3. tools/compose/check.mjs: this project's rules (EVENT_STORE=kurrentdb on gateway and worker,
#      a health check on every service, non-root runtime, no omitted optional dependencies, ...).
#   4. `docker compose config -q`, Compose's own parser, only where the Compose plugin is installed
#      (a developer's machine); it needs no engine either.
# Usage: bash tools/compose/validate.sh [compose file] [Dockerfile]   (defaults: the repo's own)
# Exits non-zero on the first failing check.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
compose_file="$(realpath "${1:-$root/docker-compose.yml}")"
dockerfile="$(realpath "${2:-$root/Dockerfile}")"
bin="$root/node_modules/.bin"

for tool in dclint dockerfile-utils; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "validate.sh: $tool is not installed; run npm ci first" >&2
    exit 2
  fi
done

echo "== dclint (schema and lint): $compose_file"
"$bin/dclint" --config "$root/tools/compose/dclint.json" --max-warnings 0 "$compose_file"

echo "== dockerfile-utils lint: $dockerfile"
"$bin/dockerfile-utils" lint "$dockerfile"

echo "== project rules"
node "$root/tools/compose/check.mjs" "$compose_file" "$dockerfile"

if docker compose version >/dev/null 2>&1; then
  echo "== docker compose config"
  # From the compose file's folder, as Compose resolves build contexts and .env there.
  (cd "$(dirname "$compose_file")" && docker compose -f "$compose_file" config -q)
else
  echo "== docker compose config: skipped (no Compose plugin on this machine)"
fi

echo "Container files OK"
