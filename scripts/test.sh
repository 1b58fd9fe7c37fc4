#!/usr/bin/env bash
# The README's test command (npm test): set up, type-check, then run the whole
# suite under Bun and under Deno. Fails if any step fails; both runtimes always run.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
bin=node_modules/.bin
failed=()

echo "== type check (tsc, deno check)"
$bin/tsc --noEmit -p . || failed+=("tsc")
$bin/deno check --quiet mod.ts || failed+=("deno check")

echo "== API docs (every export documented; the reference builds)"
$bin/deno doc --quiet --lint mod.ts || failed+=("deno doc --lint")
docs=$(mktemp -d)
$bin/deno doc --quiet --html --name=torchffi --output="$docs" mod.ts && [ -s "$docs/index.html" ] || failed+=("deno doc --html")
rm -rf "$docs"

echo "== tests under Bun"
$bin/bun --bun $bin/vitest run "$@" || failed+=("bun")

echo "== tests under Deno"
$bin/deno run -A node_modules/vitest/vitest.mjs run "$@" || failed+=("deno")

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all green on Bun and Deno"
