#!/usr/bin/env bash
# Smoke test of the built binary: it lists its components, accepts every
# shipped configuration, and refuses a configuration with a misspelt key,
# naming the key.
set -euo pipefail
bin=${1:-bin/redline}
cd "$(dirname "$0")/.."

"$bin" components >/tmp/redline-components.$$ || { echo "smoke: '$bin components' failed"; exit 1; }
for kind in receivers processors exporters extensions connectors; do
  grep -q "^$kind:" /tmp/redline-components.$$ || { echo "smoke: no $kind in 'components'"; exit 1; }
done
rm -f /tmp/redline-components.$$

configs=$(find config examples -name '*.yaml' -not -path '*/logs/*' | sort)
for c in $configs; do
  echo "smoke: validate $c"
  "$bin" validate --config "$c"
done

bad=$(mktemp -d)
trap 'rm -rf "$bad"' EXIT
sed 's/^  memory_limiter:/  memory_limiter:\n    chek_interval: 1s/' config/collector.yaml >"$bad/misspelt.yaml"
if out=$("$bin" validate --config "$bad/misspelt.yaml" 2>&1); then
  echo "smoke: a misspelt key was accepted"; exit 1
fi
grep -q "chek_interval" <<<"$out" || { echo "smoke: the error does not name the misspelt key:"; echo "$out"; exit 1; }
echo "smoke: ok ($(echo "$configs" | wc -w) configs valid, misspelt key refused)"
